package dev.sparktune.bench;

import dev.sparktune.dl4j.collective.Collective;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A {@link Collective} that adds the time spent inside every operation of the wrapped one (the communication share). */
final class TimedCollective implements Collective {
    private final Collective inner;
    private final AtomicLong nanos = new AtomicLong();

    TimedCollective(Collective inner) {
        this.inner = inner;
    }

    long nanos() {
        return nanos.get();
    }

    private void timed(Runnable op) {
        long t0 = System.nanoTime();
        try {
            op.run();
        } finally {
            nanos.addAndGet(System.nanoTime() - t0);
        }
    }

    @Override
    public int rank() {
        return inner.rank();
    }

    @Override
    public int worldSize() {
        return inner.worldSize();
    }

    @Override
    public void allReduce(INDArray flat) {
        timed(() -> inner.allReduce(flat));
    }

    @Override
    public void reduceScatter(INDArray flat) {
        timed(() -> inner.reduceScatter(flat));
    }

    @Override
    public void allGather(INDArray flat) {
        timed(() -> inner.allGather(flat));
    }

    @Override
    public void broadcast(INDArray flat, int root) {
        timed(() -> inner.broadcast(flat, root));
    }

    @Override
    public double[] allReduceSum(double... values) {
        long t0 = System.nanoTime();
        try {
            return inner.allReduceSum(values);
        } finally {
            nanos.addAndGet(System.nanoTime() - t0);
        }
    }

    @Override
    public void barrier() {
        timed(inner::barrier);
    }

    @Override
    public long bytesMoved() {
        return inner.bytesMoved();
    }

    @Override
    public void close() {
        inner.close();
    }
}
