package io.dspysuite.gateway.task.ws;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.websockets.next.BasicWebSocketConnector;
import io.quarkus.websockets.next.WebSocketClientConnection;
import io.restassured.http.ContentType;

/** A WebSocket connection does not outlive the revocation of the key that opened it. */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class RevokedKeySocketTest {

    @TestHTTPResource("/")
    URI baseUri;

    private WebSocketClientConnection connect(String key) {
        return BasicWebSocketConnector.create().addHeader("Authorization", bearer(key))
                .baseUri(baseUri).path("/ws/v1")
                .executionModel(BasicWebSocketConnector.ExecutionModel.NON_BLOCKING)
                .onTextMessage((c, frame) -> {
                })
                .connectAndAwait();
    }

    @Test
    void aConnectionIsClosedWith4401OnceItsKeyIsRevoked() {
        String tenant = "ws-" + UUID.randomUUID().toString().substring(0, 8);
        given().header("Authorization", bearer(TestKeys.ADMIN)).contentType(ContentType.JSON)
                .body(Map.of("id", tenant, "name", "WebSocket tenant")).when().post("/api/v1/admin/tenants").then()
                .statusCode(201);
        var created = given().header("Authorization", bearer(TestKeys.ADMIN)).contentType(ContentType.JSON)
                .body(Map.of("name", "browser")).when().post("/api/v1/admin/tenants/" + tenant + "/keys").then()
                .statusCode(201).extract();
        String key = created.path("key");
        String keyId = created.path("key_id");

        WebSocketClientConnection revokedLater = connect(key);
        WebSocketClientConnection unaffected = connect(TestKeys.DEV);
        try {
            given().header("Authorization", bearer(TestKeys.ADMIN))
                    .when().delete("/api/v1/admin/tenants/" + tenant + "/keys/" + keyId).then().statusCode(204);

            await().atMost(Duration.ofSeconds(15)).until(revokedLater::isClosed);
            assertThat(revokedLater.closeReason().getCode()).isEqualTo(4401);
            assertThat(unaffected.isOpen()).isTrue();
            // A new upgrade with the key is refused at once.
            assertThatThrownBy(() -> connect(key)).hasStackTraceContaining("401");
        } finally {
            unaffected.close().await().atMost(Duration.ofSeconds(5));
        }
    }
}
