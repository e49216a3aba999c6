package io.dspysuite.orchestration.dspy.client;

/** The call was cancelled by this side ({@link DspyCallHandle#cancel()}): not a failure of the DSPy service. */
public class DspyCallCancelledException extends RuntimeException {

    public DspyCallCancelledException() {
        super("the call was cancelled by the orchestration service", null, false, false);
    }
}
