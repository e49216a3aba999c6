package io.dspysuite.protos.kafka;

import org.apache.kafka.common.serialization.Serializer;

import com.google.protobuf.MessageLite;

/** Writes any protobuf message as its binary encoding: the wire format of every Kafka envelope in the suite. */
public class ProtobufSerializer<T extends MessageLite> implements Serializer<T> {

    @Override
    public byte[] serialize(String topic, T message) {
        return message == null ? null : message.toByteArray();
    }
}
