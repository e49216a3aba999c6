package io.dspysuite.gateway.task.ws;

import java.util.Optional;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.quarkus.websockets.next.CloseReason;

/**
 * Failures of a connection that the client caused at the protocol level, below the frames {@link TaskSocketHandler}
 * reads, and the close code RFC 6455 has for each. Without this, websockets-next treats them as unhandled errors: an
 * ERROR line with a stack trace per hostile client, and a close with 1011 (internal server error), which tells the
 * client the server broke when it was the client's message that was refused.
 */
final class ProtocolViolations {

    /** The limit of {@code quarkus.websockets-next.server.max-message-size}, as the close reason names it. */
    static final String TOO_BIG_REASON = "message too big: at most 1 MiB per message";

    private ProtocolViolations() {
    }

    /** The close reason for a client's protocol violation, or empty when the failure is something else. */
    static Optional<CloseReason> closeReason(Throwable failure) {
        if (failure instanceof CorruptedWebSocketFrameException corrupted) {
            // Netty's frame decoder: a single frame over max-frame-size (1009), a bad close frame, ... (it has
            // already answered with this status and closed when it throws).
            WebSocketCloseStatus status = corrupted.closeStatus();
            return Optional.of(status.code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()
                    ? new CloseReason(status.code(), TOO_BIG_REASON)
                    : new CloseReason(status.code(), status.reasonText()));
        }
        if (isOversizedMessage(failure)) {
            return Optional.of(new CloseReason(WebSocketCloseStatus.MESSAGE_TOO_BIG.code(), TOO_BIG_REASON));
        }
        return Optional.empty();
    }

    /**
     * Vert.x' frame aggregator refuses a fragmented message whose frames add up to more than max-message-size with an
     * {@link IllegalStateException} and no type of its own ("Cannot process text frame of size N, it would cause message
     * buffer (size M) to overflow max message size of L"); its message is all there is to recognise it by.
     * {@code TaskSocketTest} pins it against the Vert.x in use.
     */
    private static boolean isOversizedMessage(Throwable failure) {
        return failure instanceof IllegalStateException
                && failure.getMessage() != null
                && failure.getMessage().startsWith("Cannot process ")
                && failure.getMessage().contains("overflow max message size");
    }
}
