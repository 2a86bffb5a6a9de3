package org.cnnkit.retrieval.store;

import org.cnnkit.core.CnnkitException;

/**
 * Thrown by {@link VectorStores#open} when the store does not exist and the options give no schema to create it
 * with; a caller that may create the store catches it, builds the schema (which may need the extractor) and opens
 * again.
 */
public class StoreNotFoundException extends CnnkitException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message names the store and what to do
     */
    public StoreNotFoundException(String message) {
        super(message);
    }
}
