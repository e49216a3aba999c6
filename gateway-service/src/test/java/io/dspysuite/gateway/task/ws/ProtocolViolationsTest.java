package io.dspysuite.gateway.task.ws;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.quarkus.websockets.next.CloseReason;

/** Which connection failures are the client's protocol violations (closed with their code), and which are not. */
class ProtocolViolationsTest {

    @Test
    void anOverflowOfTheMessageBufferIs1009() {
        assertThat(ProtocolViolations.closeReason(new IllegalStateException("Cannot process text frame of size 34, it "
                + "would cause message buffer (size 1048576) to overflow max message size of 1048576")))
                .get().extracting(CloseReason::getCode).isEqualTo(1009);
        assertThat(ProtocolViolations.closeReason(new IllegalStateException("Cannot process binary frame of size 9, it "
                + "would cause message buffer (size 1048576) to overflow max message size of 1048576")))
                .get().extracting(CloseReason::getMessage).isEqualTo(ProtocolViolations.TOO_BIG_REASON);
    }

    @Test
    void nettysFrameViolationsKeepTheirCloseStatus() {
        assertThat(ProtocolViolations.closeReason(new CorruptedWebSocketFrameException(
                WebSocketCloseStatus.MESSAGE_TOO_BIG, "Max frame length of 1048576 has been exceeded.")))
                .get().extracting(CloseReason::getCode).isEqualTo(1009);
        assertThat(ProtocolViolations.closeReason(new CorruptedWebSocketFrameException(
                WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "bytes are not UTF-8")))
                .get().extracting(CloseReason::getCode).isEqualTo(1007);
    }

    /** Everything else stays a server failure for websockets-next's default handling (logged, 1011). */
    @Test
    void otherFailuresAreNotTheClientsFault() {
        assertThat(ProtocolViolations.closeReason(new IllegalStateException("something else broke"))).isEmpty();
        assertThat(ProtocolViolations.closeReason(new IllegalStateException((String) null))).isEmpty();
        assertThat(ProtocolViolations.closeReason(new NullPointerException())).isEmpty();
        assertThat(ProtocolViolations.closeReason(new RuntimeException("overflow max message size"))).isEmpty();
    }
}
