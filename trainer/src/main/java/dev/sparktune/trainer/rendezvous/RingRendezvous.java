package dev.sparktune.trainer.rendezvous;

import dev.sparktune.dl4j.collective.PeerAddress;
import dev.sparktune.dl4j.collective.RingListener;
import dev.sparktune.dl4j.collective.RingOptions;
import dev.sparktune.dl4j.collective.TcpRingCollective;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;

/**
 * Forms the TCP ring of a barrier stage: each task binds a listener on its executor's address, the addresses are
 * exchanged with ONE {@link BarrierTaskContext#allGather} (it costs about a second, so it is used for the rendezvous
 * only), and the ring is connected and authenticated with the job secret the driver shipped in the task closure.
 */
public final class RingRendezvous {
    private RingRendezvous() {}

    public static TcpRingCollective join(BarrierTaskContext ctx, byte[] secret, RingOptions options) {
        int rank = ctx.partitionId();
        String host = hostOf(ctx.getTaskInfos()[rank].address());
        RingListener listener = RingListener.bind(host);
        String[] all;
        try {
            all = ctx.allGather(listener.address().toString());
        } catch (RuntimeException e) {
            listener.close();
            throw e;
        }
        List<PeerAddress> peers = new ArrayList<>();
        for (String a : all) {
            peers.add(PeerAddress.parse(a));
        }
        return TcpRingCollective.connect(listener, rank, peers, secret, options.withCancelled(ctx::isInterrupted));
    }

    /** The host part of Spark's "host:port" executor address (IPv6 hosts come bracketed). */
    static String hostOf(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon > 0 ? address.substring(0, colon) : address;
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
