#!/usr/bin/env bash
# Fetches Apache Kafka's broker jars (org.apache.kafka:kafka_2.13 and its runtime
# dependencies) from Maven Central into ~/.cache/dstreams/tools/kafka/<version>/libs.
# Idempotent: a complete earlier fetch (marked by .complete) is reused.
# Prints the libs directory on success.
set -euo pipefail
VERSION="${DSTREAMS_KAFKA_VERSION:-4.1.1}"
CACHE="${DSTREAMS_CACHE:-$HOME/.cache/dstreams}/tools/kafka/$VERSION"
LIBS="$CACHE/libs"
if [ -f "$CACHE/.complete" ] && [ -d "$LIBS" ]; then
    echo "$LIBS"
    exit 0
fi
command -v mvn >/dev/null || { echo "fetch-kafka.sh: mvn (Apache Maven) is not installed; install it (apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch-kafka.sh: java is not installed; Kafka $VERSION needs Java 17+" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dstreams.tests</groupId>
  <artifactId>kafka-broker-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-storage</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-server</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
POM
mkdir -p "$CACHE"
rm -rf "$LIBS.tmp"
mvn -q -B -f "$WORK/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >&2
rm -rf "$LIBS"
mv "$LIBS.tmp" "$LIBS"
touch "$CACHE/.complete"
echo "$LIBS"
