package io.dspysuite.protos.kafka;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;

/**
 * Reads one protobuf message type from its binary encoding. Subclass per type with a no-arg constructor (Kafka
 * instantiates deserializers by class name), e.g. {@code super(TaskEvent.parser())}. A record that does not parse
 * raises {@link SerializationException}, which the consumer routes to its failure strategy (dead letter topic).
 */
public abstract class ProtobufDeserializer<T extends MessageLite> implements Deserializer<T> {

    private final Parser<T> parser;

    protected ProtobufDeserializer(Parser<T> parser) {
        this.parser = parser;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            return parser.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new SerializationException("record on " + topic + " is not a valid protobuf message", e);
        }
    }
}
