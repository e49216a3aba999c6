package io.dspysuite.orchestration.dspy.client;

/** A failure that may go away on its own (the LM is rate limited or down, a deadline passed): worth a retry. */
public class TransientDspyCallException extends DspyCallException {

    TransientDspyCallException(String code, String message, Throwable cause) {
        super(code, message, true, cause);
    }
}
