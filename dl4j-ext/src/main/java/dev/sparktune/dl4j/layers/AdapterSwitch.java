package dev.sparktune.dl4j.layers;

/**
 * Whether the LoRA adapters of a model take part in its forward, shared by every {@link LoraLinear} that one
 * {@code LoraAdapters} builds: PEFT's {@code disable_adapter()}. While off, each adapted projection is its frozen
 * base alone, so the model computes the base model; preference training uses that forward as its reference
 * (LLaMA-Factory's DPO with LoRA and no ref_model), with no second model in memory.
 */
public final class AdapterSwitch {
    private boolean off;

    /** The adapters are off until the returned handle is closed: {@code try (AdapterSwitch.Off o = s.turnOff())}. */
    public Off turnOff() {
        if (off) {
            throw new IllegalStateException("the adapters are off already");
        }
        off = true;
        return () -> off = false;
    }

    /** Whether the next forward runs without the adapters. */
    boolean isOff() {
        return off;
    }

    /** Turns the adapters back on. */
    public interface Off extends AutoCloseable {
        @Override
        void close();
    }
}
