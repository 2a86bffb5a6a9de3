package org.cnnkit.examples.cli;

import org.cnnkit.core.CnnkitException;

/** Turns a failure into the one line that the command line prints. */
final class ErrorMessages {

    private ErrorMessages() {
    }

    /**
     * Returns the failure as one line: a {@link CnnkitException}'s message as is (it is written for the user), any
     * other exception's simple type name and message.
     */
    static String oneLine(Throwable failure) {
        String message = failure.getMessage();
        String text;
        if (failure instanceof CnnkitException && message != null && !message.isBlank()) {
            text = message;
        } else if (message == null || message.isBlank()) {
            text = failure.getClass().getSimpleName();
        } else {
            text = failure.getClass().getSimpleName() + ": " + message;
        }
        return text.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
