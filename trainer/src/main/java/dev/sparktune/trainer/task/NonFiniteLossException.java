package dev.sparktune.trainer.task;

/** The loss or gradient norm became NaN or infinite: training stops rather than corrupt the weights further. */
public final class NonFiniteLossException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int step;

    public NonFiniteLossException(int step, double loss, double gradNorm) {
        super("step " + step + ": loss = " + loss + ", grad_norm = " + gradNorm + " (not finite). Lower learning_rate,"
                + " set max_grad_norm, or check the data; the weights of this step were not kept");
        this.step = step;
    }

    public int step() {
        return step;
    }
}
