// The experiment form: every field of an ExperimentConfig a researcher usually
// changes (method, model preset, task suite or JSONL files, rank, order, skills,
// splits, routing, learning rates, steps, batch size, intervals, seed, device),
// the engine's presets (resources/presets, embedded into the engine API), load/save as
// JSON. Validation is the config API's (tensorpoly::validate): every problem it reports
// is shown at once, each under the widget of its field (problems of fields the form does
// not show go to a message area on top), and validityChanged() tells the window whether
// Run may be enabled. The trainable parameter counts (total and per task, closed form)
// follow every change.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMap>
#include <QString>
#include <QStringList>
#include <QWidget>
#include <vector>

#include "tensorpoly/config.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QFormLayout;
class QHBoxLayout;

namespace tensorpoly::ui {

class ExperimentForm : public QWidget {
  Q_OBJECT

 public:
  explicit ExperimentForm(QWidget* parent = nullptr);

  // Fills the widgets. Fields the form does not show (base model, few-shot, ...)
  // are kept and written back by config().
  void setConfig(const ExperimentConfig& config);
  // What the widgets describe, valid or not.
  ExperimentConfig config() const;
  QString configJson() const;

  bool isValid() const { return problems_.empty(); }
  // Every current problem, "field.path: what is wrong".
  QStringList problems() const;
  // The same, as the config API's structured problems.
  const std::vector<ConfigProblem>& configProblems() const { return problems_; }
  // The message shown next to `field` ("adapter.rank", "train.steps", ...); "" when none.
  QString errorFor(const QString& field) const;
  QWidget* fieldWidget(const QString& field) const { return fields_.value(field).editor; }
  QLabel* errorLabel(const QString& field) const { return fields_.value(field).error; }
  QStringList fieldNames() const { return fields_.keys(); }
  // Trainable parameters of the current config (zeros when invalid, and until the
  // estimate of the latest edit, computed off the GUI thread, has come back:
  // parametersEstimated()).
  ParameterCounts parameters() const { return parameters_; }
  QString parameterText() const;

  // The engine's presets (preset_names() and load_preset() of the config API).
  static QStringList presetNames();
  static ExperimentConfig presetConfig(const QString& name);  // throws ConfigError
  // Each returns "" or an error naming the file.
  QString loadPreset(const QString& name);
  QString loadFile(const QString& path);
  QString saveFile(const QString& path) const;

 Q_SIGNALS:
  // After every change; `first_problem` is empty when the form is valid.
  void validityChanged(bool valid, const QString& first_problem);
  void configChanged();
  // The parameter estimate of the latest edit is in parameters() and shown.
  void parametersEstimated();

 private:
  struct Field {
    QWidget* editor = nullptr;
    QLabel* error = nullptr;
  };
  // The parts of the constructor: the preset and file bar, one group of fields each.
  QHBoxLayout* buildFileBar();
  void buildExperimentFields(QFormLayout* experiment);
  void buildSuiteFields(QFormLayout* suite);
  void buildAdapterFields(QFormLayout* adapter);
  void buildTrainingFields(QFormLayout* training);
  void connectEditors(QWidget* content);
  QWidget* addField(QFormLayout* layout, const QString& key, const QString& label, QWidget* editor,
                    const QString& tooltip = {});
  QSpinBox* makeSpin(int minimum, int maximum);
  QLineEdit* makeNumber();
  // Steps, intervals and the seed are 64-bit in the config, wider than a QSpinBox:
  // digits only (a leading minus when `allow_negative`), range checked on parse.
  QLineEdit* makeInteger(bool allow_negative);
  void revalidate();
  // The problems of the current widgets: texts that are not numbers, then the config API's.
  std::vector<ConfigProblem> collectProblems(const ExperimentConfig& current);
  // Each problem under its field's widget; what names no shown field goes on top.
  void showProblems();
  void showParameters();
  void startEstimate(const ExperimentConfig& current);
  // matched_rank: the rank adapter.match_parameters_of resolved to (0 when not matching).
  void applyEstimate(uint64_t generation, const ParameterCounts& counts, int64_t matched_rank,
                     const std::vector<ConfigProblem>& problems);
  void updateVisibility();
  void onPresetChosen(int index);

  ExperimentConfig base_;  // the last loaded config: source of the fields not shown
  QMap<QString, Field> fields_;
  QMap<QString, QWidget*> rows_;  // field -> its row container (hidden for unused fields)
  std::vector<ConfigProblem> problems_;
  ParameterCounts parameters_;
  uint64_t estimate_generation_ = 0;  // the latest estimate started
  bool filling_ = false;

  QComboBox* preset_combo_ = nullptr;
  QLineEdit* name_edit_ = nullptr;
  QComboBox* method_combo_ = nullptr;
  QComboBox* model_combo_ = nullptr;
  QComboBox* suite_kind_combo_ = nullptr;
  QSpinBox* n_tasks_spin_ = nullptr;
  QSpinBox* n_heldout_spin_ = nullptr;
  QLineEdit* train_path_edit_ = nullptr;
  QLineEdit* validation_path_edit_ = nullptr;
  QSpinBox* rank_spin_ = nullptr;
  QComboBox* match_combo_ = nullptr;  // adapter.match_parameters_of
  QSpinBox* order_spin_ = nullptr;
  QSpinBox* skills_spin_ = nullptr;
  QSpinBox* splits_spin_ = nullptr;
  QComboBox* granularity_combo_ = nullptr;
  QCheckBox* relaxed_check_ = nullptr;
  QLineEdit* temperature_edit_ = nullptr;
  QLineEdit* adapter_lr_edit_ = nullptr;
  QLineEdit* router_lr_edit_ = nullptr;
  QLineEdit* steps_edit_ = nullptr;
  QSpinBox* batch_spin_ = nullptr;
  QLineEdit* eval_every_edit_ = nullptr;
  QLineEdit* routing_every_edit_ = nullptr;
  QLineEdit* seed_edit_ = nullptr;
  QComboBox* device_combo_ = nullptr;
  QLabel* general_error_ = nullptr;
  QLabel* parameters_label_ = nullptr;
};

}  // namespace tensorpoly::ui
