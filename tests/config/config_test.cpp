#include "config/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/error.h"

namespace sluice::config {
namespace {

std::string shipped_config() {
  std::ifstream in(std::string(SLUICE_FIXTURES) + "/../../config/user_automation.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The message of the UsageError `fn` throws ("" if none).
template <typename F>
std::string usage_error(F fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, ShippedFileLoadsWithSeedValues) {
  Config c = Config::parse(shipped_config(), "user_automation.yaml");
  EXPECT_EQ(c.str("topic"), "user_created");
  EXPECT_EQ(c.str("log"), "file:./data/log");
  EXPECT_EQ(c.str("source"), "builtin");
  EXPECT_EQ(c.dead_letter_topic(), "user_created.dlq");
  EXPECT_EQ(c.integer("http.batch_size"), 500);
  EXPECT_EQ(c.duration("produce.for").count(), 60000);
  EXPECT_EQ(c.str("stream.trigger"), "10s");
  auto fields = c.section("mapping.fields");
  ASSERT_EQ(fields.size(), 12u);
  EXPECT_EQ(fields[0].first, "id");
  EXPECT_EQ(fields[4].first, "address");
  EXPECT_EQ(fields[11].first, "picture");
  auto cols = c.section("schema.columns");
  ASSERT_EQ(cols.size(), 12u);
  EXPECT_EQ(cols[0].second, "uuid primary key");
}

TEST(Config, DefaultsFillMissingKeys) {
  Config c = Config::parse("topic: t\n", "x.yaml");
  EXPECT_EQ(c.str("topic"), "t");
  EXPECT_EQ(c.dead_letter_topic(), "t.dlq");
  EXPECT_EQ(c.bytes("embedded_log.segment_bytes"), 64ll << 20);
  EXPECT_EQ(c.origin("embedded_log.segment_bytes"), "default");
  EXPECT_EQ(c.origin("topic"), "x.yaml:1");
}

TEST(Config, UnknownKeyNamesKeyLineAndSuggestion) {
  auto msg = usage_error([] { Config::parse("topic: t\nhttp:\n  batch_sise: 10\n", "c.yaml"); });
  EXPECT_NE(msg.find("c.yaml:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("http.batch_sise"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean \"http.batch_size\""), std::string::npos) << msg;
}

TEST(Config, WrongTypesAndBadValuesNameTheKey) {
  auto msg = usage_error([] {
    Config::parse("http:\n  batch_size: lots\n  read_timeout: soon\nembedded_log:\n  fsync: sometimes\n", "c.yaml");
  });
  EXPECT_NE(msg.find("3 problems"), std::string::npos) << msg;
  EXPECT_NE(msg.find("c.yaml:2: http.batch_size: expected an integer from 1 to 5000, got \"lots\""),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("c.yaml:3: http.read_timeout"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected one of interval, always, never"), std::string::npos) << msg;
}

TEST(Config, OutOfRange) {
  auto msg = usage_error([] { Config::parse("http:\n  batch_size: 5001\n", "c.yaml"); });
  EXPECT_NE(msg.find("http.batch_size"), std::string::npos) << msg;
}

TEST(Config, MapWhereValueExpectedAndViceVersa) {
  EXPECT_NE(usage_error([] { Config::parse("topic:\n  a: 1\n", "c.yaml"); }).find("topic: expected a text value, got a map"),
            std::string::npos);
  EXPECT_NE(usage_error([] { Config::parse("http: 5\n", "c.yaml"); }).find("\"http\" is a section"), std::string::npos);
  EXPECT_NE(usage_error([] { Config::parse("topic: [a, b]\n", "c.yaml"); }).find("lists are not accepted"),
            std::string::npos);
}

TEST(Config, InvalidYamlNamesLine) {
  auto msg = usage_error([] { Config::parse("topic: t\nhttp: {batch_size: 1\n", "c.yaml"); });
  EXPECT_NE(msg.find("not valid YAML"), std::string::npos) << msg;
}

TEST(Config, EnvOverridesFileAndFlagsOverrideEnv) {
  std::string e1 = "SLUICE_TOPIC=from_env", e2 = "SLUICE_HTTP__BATCH_SIZE=1000", e3 = "PATH=/bin",
              e4 = "SLUICE_KAFKA__SECURITY__PROTOCOL=SASL_SSL", e5 = "SLUICE_LOG_LEVEL=debug";
  char* env[] = {e1.data(), e2.data(), e3.data(), e4.data(), e5.data(), nullptr};
  Config c = Config::parse("topic: from_file\n", "c.yaml", {}, env);
  EXPECT_EQ(c.str("topic"), "from_env");
  EXPECT_EQ(c.origin("topic"), "SLUICE_TOPIC");
  EXPECT_EQ(c.integer("http.batch_size"), 1000);
  auto kafka = c.section("kafka");
  ASSERT_EQ(kafka.size(), 1u);
  EXPECT_EQ(kafka[0].first, "security.protocol");
  EXPECT_EQ(kafka[0].second, "SASL_SSL");

  Config c2 = Config::parse("topic: from_file\n", "c.yaml", {{"topic", "from_flag", "--topic"}}, env);
  EXPECT_EQ(c2.str("topic"), "from_flag");
  EXPECT_EQ(c2.origin("topic"), "--topic");
}

TEST(Config, BadEnvIsAnError) {
  std::string e1 = "SLUICE_HTTP__BATCH_SIZ=3", e2 = "SLUICE_HTTP__RETRIES=x";
  char* env[] = {e1.data(), e2.data(), nullptr};
  auto msg = usage_error([&] { Config::parse("", "c.yaml", {}, env); });
  EXPECT_NE(msg.find("environment variable SLUICE_HTTP__BATCH_SIZ: unknown key \"http.batch_siz\""), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("SLUICE_HTTP__RETRIES: http.retries: expected an integer"), std::string::npos) << msg;
}

// A variable meant for another program (scripts/kafka.sh's port once was SLUICE_KAFKA_PORT)
// fails every command: the error says that sluice reads every SLUICE_* variable, and how
// they map to keys, once however many there are. SLUICE_LOG_LEVEL is the CLI's, no error.
TEST(Config, UnknownEnvSaysThatEverySluiceVariableIsAnOverride) {
  std::string e1 = "SLUICE_KAFKA_PORT=19292", e2 = "SLUICE_LOG_LEVEL=debug", e3 = "SLUICE_KAFKA_HOME=/tmp/k";
  char* env[] = {e1.data(), e2.data(), e3.data(), nullptr};
  auto msg = usage_error([&] { Config::parse("", "c.yaml", {}, env); });
  const std::string hint =
      "; sluice reads every SLUICE_* variable as a config override (SLUICE_<KEY>, nested keys joined by __; "
      "`sluice config keys` lists them), so unset one meant for another program";
  EXPECT_NE(msg.find("invalid configuration (2 problems):"), std::string::npos) << msg;
  EXPECT_NE(msg.find("environment variable SLUICE_KAFKA_PORT: unknown key \"kafka_port\"" + hint), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("environment variable SLUICE_KAFKA_HOME: unknown key \"kafka_home\""), std::string::npos) << msg;
  EXPECT_EQ(msg.find(hint, msg.find(hint) + 1), std::string::npos) << "the hint twice: " << msg;
  EXPECT_EQ(msg.find("SLUICE_LOG_LEVEL"), std::string::npos) << msg;
}

TEST(Config, OpenSectionsKeepOrderAndAcceptOverrides) {
  Config c = Config::parse("mapping:\n  fields:\n    z: \"{a}\"\n    a: \"{b}\"\n", "c.yaml",
                           {{"mapping.fields.m", "{c}", "--set"}, {"mapping.fields.z", "{d}", "--set"}});
  auto f = c.section("mapping.fields");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0], (std::pair<std::string, std::string>{"z", "{d}"}));
  EXPECT_EQ(f[1], (std::pair<std::string, std::string>{"a", "{b}"}));
  EXPECT_EQ(f[2], (std::pair<std::string, std::string>{"m", "{c}"}));
}

TEST(Config, MissingFileIsUsageError) {
  LoadOptions o;
  o.file = "/nonexistent/sluice.yaml";
  auto msg = usage_error([&] { Config::load(o); });
  EXPECT_NE(msg.find("cannot read config file /nonexistent/sluice.yaml"), std::string::npos) << msg;
}

TEST(Config, EnvName) { EXPECT_EQ(env_name("http.batch_size"), "SLUICE_HTTP__BATCH_SIZE"); }

}  // namespace
}  // namespace sluice::config
