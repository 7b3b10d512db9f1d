package dev.cas.worker.command;

/** A command line cas-compile refuses, with the message the user sees. Never a crash: exit status 2. */
public class UsageException extends Exception {
    public UsageException(String message) {
        super(message);
    }
}
