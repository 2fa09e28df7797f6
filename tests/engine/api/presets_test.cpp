// The experiment presets embedded into the engine API from resources/presets.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tensorpoly/config.h"
#include "test_paths.h"

namespace tensorpoly {
namespace {

// The preset files of the source tree, read when the test runs.
std::vector<std::filesystem::path> preset_files() {
  std::vector<std::filesystem::path> files;
  const std::filesystem::path folder =
      std::filesystem::path(TENSORPOLY_SOURCE_DIR) / "resources" / "presets";
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every file is listed and its embedded copy is the file as it is now (the build
// re-embeds a changed file), and parses.
TEST(Presets, EveryFileInTheFolderIsEmbeddedAndParses) {
  const auto files = preset_files();
  ASSERT_FALSE(files.empty());
  std::vector<std::string> names;
  for (const auto& file : files) names.push_back(file.stem().string());
  EXPECT_EQ(preset_names(), names);
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    ExperimentConfig embedded;
    ASSERT_NO_THROW(embedded = load_preset(file.stem().string()));
    EXPECT_EQ(to_json(embedded), to_json(config_from_file(file.string())));
  }
}

TEST(Presets, AnUnknownPresetIsAConfigErrorNamingTheAvailableOnes) {
  try {
    load_preset("nope");
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'nope'"), std::string::npos) << message;
    for (const auto& name : preset_names()) {
      EXPECT_NE(message.find(name), std::string::npos) << name << " missing from " << message;
    }
  }
}

}  // namespace
}  // namespace tensorpoly
