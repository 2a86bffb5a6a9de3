package org.cnnkit.core;

/**
 * The base of every exception that cnnkit throws on purpose: bad input, damaged files, wrong settings.
 *
 * <p>Its message is written for the user: it says what was wrong and where (a path, a layer name, a
 * setting), so that a command-line program can print it as one line and stop. Code that calls cnnkit
 * can catch this one type to handle every anticipated failure.
 */
public class CnnkitException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a user-facing message.
     *
     * @param message what was wrong and where
     */
    public CnnkitException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a user-facing message and the lower-level cause.
     *
     * @param message what was wrong and where
     * @param cause the exception that revealed the problem
     */
    public CnnkitException(String message, Throwable cause) {
        super(message, cause);
    }
}
