package io.github.mongolock.testkit.strict;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.StringJoiner;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;

/** Conversions and mongod-style renderings of the emulator's values, for messages. */
final class BsonText {

  private BsonText() {}

  /** The emulator's document as the driver's BSON, by way of its encoded bytes. */
  static BsonDocument toBson(Document document) {
    return new RawBsonDocument(bytes(document));
  }

  static int size(Document document) {
    return bytes(document).length;
  }

  private static byte[] bytes(Document document) {
    ByteBuf buffer = Unpooled.buffer();
    try {
      de.bwaldvogel.mongo.wire.bson.BsonEncoder.encodeDocument(document, buffer);
      byte[] bytes = new byte[buffer.readableBytes()];
      buffer.readBytes(bytes);
      return bytes;
    } finally {
      buffer.release();
    }
  }

  /** mongod's typeName() of a value (src/mongo/bson/bsontypes.cpp). */
  static String typeName(Object value) {
    if (value == null) {
      return "null";
    }
    for (Object[] pair : TYPE_NAMES) {
      if (((Class<?>) pair[0]).isInstance(value)) {
        return (String) pair[1];
      }
    }
    return value.getClass().getSimpleName();
  }

  private static final Object[][] TYPE_NAMES = {
    {Double.class, "double"},
    {String.class, "string"},
    {Map.class, "object"},
    {Collection.class, "array"},
    {ObjectId.class, "objectId"},
    {Boolean.class, "bool"},
    {Instant.class, "date"},
    {Integer.class, "int"},
    {Long.class, "long"},
    {de.bwaldvogel.mongo.bson.Decimal128.class, "decimal"},
    {de.bwaldvogel.mongo.bson.BsonTimestamp.class, "timestamp"},
    {de.bwaldvogel.mongo.bson.BsonRegularExpression.class, "regex"},
    {de.bwaldvogel.mongo.bson.BinData.class, "binData"},
    {de.bwaldvogel.mongo.bson.MinKey.class, "minKey"},
    {de.bwaldvogel.mongo.bson.MaxKey.class, "maxKey"},
  };

  /** A value as mongod's BSONElement::toString renders it ({@code "x"}, {@code { a: 1 }}). */
  static String value(Object value) {
    if (value == null) {
      return "null";
    } else if (value instanceof String s) {
      return '"' + s + '"';
    } else if (value instanceof Double d) {
      return d == Math.rint(d) && !Double.isInfinite(d) ? d.longValue() + ".0" : d.toString();
    } else if (value instanceof ObjectId o) {
      return "ObjectId('" + o.getHexData() + "')";
    } else if (value instanceof Instant i) {
      return "new Date(" + i.toEpochMilli() + ")";
    } else if (value instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        return "{}";
      }
      StringJoiner joiner = new StringJoiner(", ", "{ ", " }");
      m.forEach((k, v) -> joiner.add(k + ": " + value(v)));
      return joiner.toString();
    } else if (value instanceof Collection<?> c) {
      if (c.isEmpty()) {
        return "[]";
      }
      StringJoiner joiner = new StringJoiner(", ", "[ ", " ]");
      c.forEach(v -> joiner.add(value(v)));
      return joiner.toString();
    }
    return String.valueOf(value);
  }
}
