package io.github.mongolock.testkit.strict;

import de.bwaldvogel.mongo.bson.Document;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * createIndexes conflicts the emulator lets through (it registers the second index description
 * beside the first). Rules of IndexCatalogImpl::prepareSpecForCreate and its helpers in
 * src/mongo/db/catalog/index_catalog_impl.cpp: the name of an existing index with another key is 86
 * IndexKeySpecsConflict; the key of an existing index under another name is 85
 * IndexOptionsConflict. Same name and same key is left to the emulator (a no-op, or its own 86 for
 * other options).
 */
final class IndexRules {

  private IndexRules() {}

  /** Options that do not make an index another index, compared for the "identical" case. */
  private static final Set<String> NOT_OPTIONS = Set.of("v", "ns", "name", "key", "background");

  static Refusal conflict(Document command, List<Document> existing) {
    @SuppressWarnings("unchecked")
    List<Document> requested = (List<Document>) command.getOrDefault("indexes", List.of());
    for (Document spec : requested) {
      Document key = (Document) spec.get("key");
      Object name = spec.get("name");
      if (key == null || name == null) {
        continue;
      }
      for (Document index : existing) {
        boolean sameName = name.equals(index.get("name"));
        boolean sameKey = StrictBackend.sameKey(key, (Document) index.get("key"));
        if (sameName && !sameKey) {
          // The text of 5.0+; 4.4 leaves out the sentence about generated names.
          return new Refusal(
              86,
              "IndexKeySpecsConflict",
              "An existing index has the same name as the requested index. When index names are"
                  + " not specified, they are auto generated and can cause conflicts. Please refer"
                  + " to our documentation. Requested index: "
                  + describe(spec)
                  + ", existing index: "
                  + describe(index),
              -1,
              "index name taken by another key");
        }
        if (!sameName && sameKey) {
          String message =
              options(spec).equals(options(index))
                  ? "Index already exists with a different name: " + index.get("name")
                  : "An equivalent index already exists with a different name and options."
                      + " Requested index: "
                      + describe(spec)
                      + ", existing index: "
                      + describe(index);
          return new Refusal(85, "IndexOptionsConflict", message, -1, "index key under two names");
        }
      }
    }
    return null;
  }

  private static Document options(Document spec) {
    Document options = new Document();
    spec.forEach(
        (k, v) -> {
          if (!NOT_OPTIONS.contains(k) && !(Boolean.FALSE.equals(v))) {
            options.put(k, v);
          }
        });
    return options;
  }

  /** An index spec as mongod prints it: v first, then the fields as given, without ns. */
  private static String describe(Document spec) {
    Document printed = new Document("v", Objects.requireNonNullElse(spec.get("v"), 2));
    spec.forEach(
        (k, v) -> {
          if (!k.equals("v") && !k.equals("ns")) {
            printed.put(k, v);
          }
        });
    return BsonText.value(printed);
  }
}
