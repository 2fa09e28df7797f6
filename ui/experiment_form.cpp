// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/experiment_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QRegularExpressionValidator>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QThreadPool>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <fstream>
#include <limits>

#include "tensorpoly/adapter_config.h"
#include "tensorpoly/model_preset.h"

namespace tensorpoly::ui {

namespace {

QString numberText(double value) { return QString::number(value, 'g', 8); }

QString problemText(const ConfigProblem& problem) {
  return QString::fromStdString(to_string(problem));
}

void setComboText(QComboBox* combo, const QString& text) {
  int index = combo->findText(text);
  if (index < 0) {
    combo->addItem(text);
    index = combo->count() - 1;
  }
  combo->setCurrentIndex(index);
}

}  // namespace

ExperimentForm::ExperimentForm(QWidget* parent) : QWidget(parent) {
  // Layout: the preset/file bar on top and the parameter counts at the bottom stay
  // in view; the fields scroll between them. Nothing insists on its full text width
  // (combos, check box), so the form fits a narrow dock without clipping.
  auto* content = new QWidget;
  content->setObjectName(QStringLiteral("formContent"));
  auto* content_layout = new QVBoxLayout(content);

  QHBoxLayout* top = buildFileBar();

  general_error_ = new QLabel;
  general_error_->setObjectName(QStringLiteral("generalError"));
  general_error_->setWordWrap(true);
  general_error_->setStyleSheet(QStringLiteral("color: #c0392b;"));
  general_error_->hide();
  content_layout->addWidget(general_error_);

  auto group = [&](const QString& title) {
    auto* box = new QGroupBox(title);
    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    // A field too wide for the dock goes under its label instead of past the edge.
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    content_layout->addWidget(box);
    return form;
  };

  buildExperimentFields(group(tr("Experiment")));
  buildSuiteFields(group(tr("Tasks")));
  buildAdapterFields(group(tr("Adapter and routing")));
  buildTrainingFields(group(tr("Training")));

  content_layout->addStretch(1);

  parameters_label_ = new QLabel;
  parameters_label_->setObjectName(QStringLiteral("parametersLabel"));
  parameters_label_->setWordWrap(true);

  auto* scroll = new QScrollArea(this);
  scroll->setObjectName(QStringLiteral("formScrollArea"));
  scroll->setWidgetResizable(true);
  // Only a fallback for a dock narrower than every field's minimum: clipped text is worse.
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  scroll->setWidget(content);
  scroll->setFrameShape(QFrame::NoFrame);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(top);
  layout->addWidget(scroll, 1);
  layout->addWidget(parameters_label_);

  for (QComboBox* combo : findChildren<QComboBox*>()) {
    // The longest item (a preset or model name) must not set the form's minimum width.
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(8);
  }

  connectEditors(content);
  setConfig(ExperimentConfig{});
}

QHBoxLayout* ExperimentForm::buildFileBar() {
  auto* top = new QHBoxLayout;
  preset_combo_ = new QComboBox;
  preset_combo_->setObjectName(QStringLiteral("presetCombo"));
  preset_combo_->addItem(tr("Preset…"));
  preset_combo_->addItems(presetNames());
  auto* load_button = new QToolButton;
  load_button->setObjectName(QStringLiteral("loadConfigButton"));
  load_button->setText(tr("Load…"));
  load_button->setToolTip(tr("Load a config JSON file"));
  auto* save_button = new QToolButton;
  save_button->setObjectName(QStringLiteral("saveConfigButton"));
  save_button->setText(tr("Save…"));
  save_button->setToolTip(tr("Save the config as JSON"));
  top->addWidget(preset_combo_, 1);
  top->addWidget(load_button);
  top->addWidget(save_button);

  connect(preset_combo_, qOverload<int>(&QComboBox::activated), this,
          &ExperimentForm::onPresetChosen);
  connect(load_button, &QToolButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Load config"), {}, tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    const QString error = loadFile(path);
    if (!error.isEmpty()) {
      general_error_->setText(error);
      general_error_->show();
    }
  });
  connect(save_button, &QToolButton::clicked, this, [this] {
    QString path = QFileDialog::getSaveFileName(this, tr("Save config"), {}, tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(QStringLiteral(".json"))) path += QStringLiteral(".json");
    const QString error = saveFile(path);
    if (!error.isEmpty()) {
      general_error_->setText(error);
      general_error_->show();
    }
  });

  return top;
}

void ExperimentForm::buildExperimentFields(QFormLayout* experiment) {
  name_edit_ = new QLineEdit;
  addField(experiment, QStringLiteral("name"), tr("Name"), name_edit_);
  method_combo_ = new QComboBox;
  for (const std::string& method : adapter_methods())
    method_combo_->addItem(QString::fromStdString(method));
  addField(experiment, QStringLiteral("adapter.method"), tr("Method"), method_combo_,
           tr("Adapter: LoRA, TLoRA, Poly, MHR, TensorPoly-I/II, or none (full fine-tuning)"));
  model_combo_ = new QComboBox;
  for (const ModelPreset& preset : model_presets())
    model_combo_->addItem(QString::fromStdString(preset.name));
  addField(experiment, QStringLiteral("model"), tr("Model preset"), model_combo_);
}

void ExperimentForm::buildSuiteFields(QFormLayout* suite) {
  suite_kind_combo_ = new QComboBox;
  suite_kind_combo_->addItem(QStringLiteral("synthetic"));
  suite_kind_combo_->addItem(QStringLiteral("jsonl"));
  addField(suite, QStringLiteral("suite.kind"), tr("Task suite"), suite_kind_combo_,
           tr("The built-in synthetic skill suite, or multi-task JSONL files"));
  n_tasks_spin_ = makeSpin(-1, 100000);
  addField(suite, QStringLiteral("suite.n_tasks"), tr("Training tasks"), n_tasks_spin_);
  n_heldout_spin_ = makeSpin(-1, 100000);
  addField(suite, QStringLiteral("suite.n_heldout"), tr("Held-out tasks"), n_heldout_spin_);
  auto path_row = [&](QLineEdit** edit, const QString& name) {
    auto* row = new QWidget;
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    *edit = new QLineEdit;
    (*edit)->setObjectName(name);
    (*edit)->setPlaceholderText(tr("file.jsonl"));
    auto* browse = new QToolButton;
    browse->setText(QStringLiteral("…"));
    layout->addWidget(*edit, 1);
    layout->addWidget(browse);
    QLineEdit* target = *edit;
    connect(browse, &QToolButton::clicked, this, [this, target] {
      const QString path =
          QFileDialog::getOpenFileName(this, tr("JSONL tasks"), target->text(),
                                       tr("JSON lines (*.jsonl *.json);;All files (*)"));
      if (!path.isEmpty()) target->setText(path);
    });
    return row;
  };
  addField(suite, QStringLiteral("suite.train"), tr("Training file"),
           path_row(&train_path_edit_, QStringLiteral("trainPathEdit")));
  fields_[QStringLiteral("suite.train")].editor = train_path_edit_;
  addField(suite, QStringLiteral("suite.validation"), tr("Validation file"),
           path_row(&validation_path_edit_, QStringLiteral("validationPathEdit")));
  fields_[QStringLiteral("suite.validation")].editor = validation_path_edit_;
}

void ExperimentForm::buildAdapterFields(QFormLayout* adapter) {
  rank_spin_ = makeSpin(-1, 65536);
  addField(adapter, QStringLiteral("adapter.rank"), tr("Rank r"), rank_spin_);
  match_combo_ = new QComboBox;
  match_combo_->setObjectName(QStringLiteral("matchParametersCombo"));
  match_combo_->addItem(tr("— (rank as given)"), QString());
  for (const std::string& method : adapter_methods())
    if (method != "none")
      match_combo_->addItem(QString::fromStdString(method), QString::fromStdString(method));
  addField(adapter, QStringLiteral("adapter.match_parameters_of"), tr("Match parameters of"),
           match_combo_,
           tr("A capacity-matched control: the rank is computed so that this method trains about "
              "as many parameters as the chosen method's paper configuration on the same model "
              "and suite"));
  order_spin_ = makeSpin(-1, 64);
  addField(adapter, QStringLiteral("adapter.order"), tr("Tensor order k"), order_spin_,
           tr("1, 2 or 4 (TLoRA, TensorPoly-I, TensorPoly-II)"));
  skills_spin_ = makeSpin(-1, 65536);
  addField(adapter, QStringLiteral("adapter.n_skills"), tr("Skills S"), skills_spin_,
           tr("Size of the skill inventory (TensorPoly-I: the tensor rank)"));
  splits_spin_ = makeSpin(-1, 4096);
  addField(adapter, QStringLiteral("adapter.n_splits"), tr("Splits Q"), splits_spin_,
           tr("1 for Poly and TensorPoly-I, > 1 for MHR, = order for TensorPoly-II"));
  granularity_combo_ = new QComboBox;
  for (const std::string& g : router_granularities())
    granularity_combo_->addItem(QString::fromStdString(g));
  addField(adapter, QStringLiteral("adapter.router_granularity"), tr("Router per"),
           granularity_combo_);
  relaxed_check_ = new QCheckBox(tr("Relaxed Bernoulli"));
  addField(adapter, QStringLiteral("adapter.relaxed_bernoulli"), tr("Routing"), relaxed_check_,
           tr("Sample the routing with a relaxed Bernoulli while training"));
  temperature_edit_ = makeNumber();
  addField(adapter, QStringLiteral("adapter.temperature"), tr("Temperature"), temperature_edit_);
}

void ExperimentForm::buildTrainingFields(QFormLayout* training) {
  adapter_lr_edit_ = makeNumber();
  addField(training, QStringLiteral("train.adapter_learning_rate"), tr("Adapter learning rate"),
           adapter_lr_edit_);
  router_lr_edit_ = makeNumber();
  addField(training, QStringLiteral("train.router_learning_rate"), tr("Router learning rate"),
           router_lr_edit_);
  steps_edit_ = makeInteger(/*allow_negative=*/true);
  addField(training, QStringLiteral("train.steps"), tr("Steps"), steps_edit_,
           tr("Optimiser steps (a 64-bit count); 0 = evaluate only"));
  batch_spin_ = makeSpin(-1, 1 << 20);
  addField(training, QStringLiteral("train.batch_size"), tr("Batch size"), batch_spin_);
  eval_every_edit_ = makeInteger(/*allow_negative=*/true);
  addField(training, QStringLiteral("train.eval_every"), tr("Evaluate every"), eval_every_edit_,
           tr("Steps between evaluations; 0 = only at start and end"));
  routing_every_edit_ = makeInteger(/*allow_negative=*/true);
  addField(training, QStringLiteral("train.routing_every"), tr("Routing snapshot every"),
           routing_every_edit_, tr("Steps between routing snapshots; 0 = only at start and end"));
  seed_edit_ = makeInteger(/*allow_negative=*/false);
  addField(training, QStringLiteral("seed"), tr("Seed"), seed_edit_,
           tr("Any whole number from 0 to %1").arg(std::numeric_limits<quint64>::max()));
  device_combo_ = new QComboBox;
  device_combo_->setEditable(true);
  device_combo_->addItems({QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda"),
                           QStringLiteral("cuda:0")});
  addField(training, QStringLiteral("device"), tr("Device"), device_combo_);
}

void ExperimentForm::connectEditors(QWidget* content) {
  // Every editor revalidates on change (the preset combo loads instead).
  for (QLineEdit* edit : content->findChildren<QLineEdit*>()) {
    connect(edit, &QLineEdit::textChanged, this, &ExperimentForm::revalidate);
  }
  for (QSpinBox* spin : content->findChildren<QSpinBox*>()) {
    connect(spin, qOverload<int>(&QSpinBox::valueChanged), this, &ExperimentForm::revalidate);
  }
  for (QComboBox* combo : content->findChildren<QComboBox*>()) {
    if (combo == preset_combo_) continue;
    connect(combo, &QComboBox::currentTextChanged, this, &ExperimentForm::revalidate);
  }
  connect(relaxed_check_, &QCheckBox::toggled, this, &ExperimentForm::revalidate);
}

QWidget* ExperimentForm::addField(QFormLayout* layout, const QString& key, const QString& label,
                                  QWidget* editor, const QString& tooltip) {
  auto* container = new QWidget;
  auto* column = new QVBoxLayout(container);
  column->setContentsMargins(0, 0, 0, 0);
  column->setSpacing(1);
  column->addWidget(editor);
  auto* error = new QLabel;
  error->setObjectName(QStringLiteral("error:") + key);
  error->setWordWrap(true);
  error->setStyleSheet(QStringLiteral("color: #c0392b; font-size: small;"));
  error->hide();
  column->addWidget(error);
  if (editor->objectName().isEmpty()) editor->setObjectName(key);
  if (!tooltip.isEmpty()) editor->setToolTip(tooltip);
  auto* label_widget = new QLabel(label);
  label_widget->setBuddy(editor);
  layout->addRow(label_widget, container);
  fields_.insert(key, Field{editor, error});
  rows_.insert(key, container);
  rows_.insert(key + QStringLiteral("#label"), label_widget);
  return container;
}

QSpinBox* ExperimentForm::makeSpin(int minimum, int maximum) {
  // Wide ranges on purpose: the config API, not the spin box, says what is allowed and why.
  auto* spin = new QSpinBox;
  spin->setRange(minimum, maximum);
  spin->setGroupSeparatorShown(false);
  return spin;
}

QLineEdit* ExperimentForm::makeNumber() {
  auto* edit = new QLineEdit;
  edit->setPlaceholderText(QStringLiteral("e.g. 1e-3"));
  return edit;
}

QLineEdit* ExperimentForm::makeInteger(bool allow_negative) {
  auto* edit = new QLineEdit;
  // The validator keeps out letters; range and emptiness are explained by revalidate().
  const QRegularExpression digits(allow_negative ? QStringLiteral("-?[0-9]{0,19}")
                                                 : QStringLiteral("[0-9]{0,20}"));
  edit->setValidator(new QRegularExpressionValidator(digits, edit));
  return edit;
}

QStringList ExperimentForm::presetNames() {
  QStringList names;
  for (const std::string& name : preset_names()) names << QString::fromStdString(name);
  return names;
}

ExperimentConfig ExperimentForm::presetConfig(const QString& name) {
  return load_preset(name.toStdString());
}

QString ExperimentForm::loadPreset(const QString& name) {
  try {
    setConfig(presetConfig(name));
    return {};
  } catch (const std::exception& error) {
    return tr("Preset %1: %2").arg(name, QString::fromStdString(error.what()));
  }
}

QString ExperimentForm::loadFile(const QString& path) {
  try {
    setConfig(config_from_file(path.toStdString()));
    return {};
  } catch (const std::exception& error) {
    const QString message = QString::fromStdString(error.what());
    return message.contains(path) ? message : path + QStringLiteral(": ") + message;
  }
}

QString ExperimentForm::saveFile(const QString& path) const {
  std::ofstream out(path.toStdString());
  if (!out) return tr("%1: cannot write the file").arg(path);
  out << to_json_text(config()) << '\n';
  out.close();
  return out ? QString() : tr("%1: write failed").arg(path);
}

void ExperimentForm::onPresetChosen(int index) {
  if (index <= 0) return;
  const QString error = loadPreset(preset_combo_->itemText(index));
  if (!error.isEmpty()) {
    general_error_->setText(error);
    general_error_->show();
  }
}

void ExperimentForm::setConfig(const ExperimentConfig& config) {
  base_ = config;
  filling_ = true;
  name_edit_->setText(QString::fromStdString(config.name));
  setComboText(method_combo_, QString::fromStdString(config.adapter.method));
  setComboText(model_combo_, QString::fromStdString(config.model));
  setComboText(suite_kind_combo_, QString::fromStdString(config.suite.kind));
  n_tasks_spin_->setValue(config.suite.synthetic.n_tasks);
  n_heldout_spin_->setValue(config.suite.synthetic.n_heldout);
  train_path_edit_->setText(QString::fromStdString(config.suite.jsonl.train_path));
  validation_path_edit_->setText(QString::fromStdString(config.suite.jsonl.validation_path));
  rank_spin_->setValue(static_cast<int>(config.adapter.rank));
  match_combo_->setCurrentIndex(std::max(
      0, match_combo_->findData(QString::fromStdString(config.adapter.match_parameters_of))));
  order_spin_->setValue(static_cast<int>(config.adapter.order));
  skills_spin_->setValue(static_cast<int>(config.adapter.n_skills));
  splits_spin_->setValue(static_cast<int>(config.adapter.n_splits));
  setComboText(granularity_combo_, QString::fromStdString(config.adapter.router_granularity));
  relaxed_check_->setChecked(config.adapter.relaxed_bernoulli);
  temperature_edit_->setText(numberText(config.adapter.temperature));
  adapter_lr_edit_->setText(numberText(config.train.adapter_learning_rate));
  router_lr_edit_->setText(numberText(config.train.router_learning_rate));
  steps_edit_->setText(QString::number(config.train.steps));
  batch_spin_->setValue(static_cast<int>(config.train.batch_size));
  eval_every_edit_->setText(QString::number(config.train.eval_every));
  routing_every_edit_->setText(QString::number(config.train.routing_every));
  seed_edit_->setText(QString::number(config.seed));
  device_combo_->setCurrentText(QString::fromStdString(config.device));
  // Long names and paths show their beginning (setText leaves the view at the end).
  for (QLineEdit* edit : {name_edit_, train_path_edit_, validation_path_edit_})
    edit->setCursorPosition(0);
  filling_ = false;
  general_error_->hide();
  revalidate();
}

ExperimentConfig ExperimentForm::config() const {
  ExperimentConfig config = base_;
  config.name = name_edit_->text().toStdString();
  config.adapter.method = method_combo_->currentText().toStdString();
  config.model = model_combo_->currentText().toStdString();
  config.suite.kind = suite_kind_combo_->currentText().toStdString();
  config.suite.synthetic.n_tasks = n_tasks_spin_->value();
  config.suite.synthetic.n_heldout = n_heldout_spin_->value();
  config.suite.jsonl.train_path = train_path_edit_->text().trimmed().toStdString();
  config.suite.jsonl.validation_path = validation_path_edit_->text().trimmed().toStdString();
  config.adapter.rank = rank_spin_->value();
  config.adapter.match_parameters_of = match_combo_->currentData().toString().toStdString();
  config.adapter.order = order_spin_->value();
  config.adapter.n_skills = skills_spin_->value();
  config.adapter.n_splits = splits_spin_->value();
  config.adapter.router_granularity = granularity_combo_->currentText().toStdString();
  config.adapter.relaxed_bernoulli = relaxed_check_->isChecked();
  bool ok = false;
  if (const double v = temperature_edit_->text().trimmed().toDouble(&ok); ok)
    config.adapter.temperature = v;
  if (const double v = adapter_lr_edit_->text().trimmed().toDouble(&ok); ok)
    config.train.adapter_learning_rate = v;
  if (const double v = router_lr_edit_->text().trimmed().toDouble(&ok); ok)
    config.train.router_learning_rate = v;
  // An integer field that does not parse keeps the loaded value (revalidate() reports it).
  if (const qlonglong v = steps_edit_->text().trimmed().toLongLong(&ok); ok) config.train.steps = v;
  config.train.batch_size = batch_spin_->value();
  if (const qlonglong v = eval_every_edit_->text().trimmed().toLongLong(&ok); ok)
    config.train.eval_every = v;
  if (const qlonglong v = routing_every_edit_->text().trimmed().toLongLong(&ok); ok)
    config.train.routing_every = v;
  if (const qulonglong v = seed_edit_->text().trimmed().toULongLong(&ok); ok) config.seed = v;
  config.device = device_combo_->currentText().trimmed().toStdString();
  return config;
}

QString ExperimentForm::configJson() const {
  return QString::fromStdString(to_json_text(config()));
}

QString ExperimentForm::errorFor(const QString& field) const {
  const Field found = fields_.value(field);
  return found.error ? found.error->text() : QString();
}

QString ExperimentForm::parameterText() const { return parameters_label_->text(); }

void ExperimentForm::updateVisibility() {
  const bool jsonl = suite_kind_combo_->currentText() == QLatin1String("jsonl");
  const std::string method = method_combo_->currentText().toStdString();
  const bool routed = is_routed_method(method);
  const bool tensor = is_tensor_method(method);
  const auto show = [this](const QString& key, bool visible) {
    if (QWidget* row = rows_.value(key)) row->setVisible(visible);
    if (QWidget* label = rows_.value(key + QStringLiteral("#label"))) label->setVisible(visible);
  };
  show(QStringLiteral("suite.n_tasks"), !jsonl);
  show(QStringLiteral("suite.n_heldout"), !jsonl);
  show(QStringLiteral("suite.train"), jsonl);
  show(QStringLiteral("suite.validation"), jsonl);
  show(QStringLiteral("adapter.match_parameters_of"), method != "none");
  show(QStringLiteral("adapter.order"), tensor);
  show(QStringLiteral("adapter.n_skills"), routed);
  show(QStringLiteral("adapter.n_splits"), routed);
  show(QStringLiteral("adapter.router_granularity"), routed);
  show(QStringLiteral("adapter.relaxed_bernoulli"), routed);
  show(QStringLiteral("adapter.temperature"), routed);
  show(QStringLiteral("train.router_learning_rate"), routed);
}

QStringList ExperimentForm::problems() const {
  QStringList texts;
  for (const ConfigProblem& problem : problems_) texts << problemText(problem);
  return texts;
}

void ExperimentForm::revalidate() {
  if (filling_) return;
  updateVisibility();
  const ExperimentConfig current = config();
  problems_ = collectProblems(current);
  parameters_ = ParameterCounts{};
  // A matched rank is the engine's to compute (with the estimate, off the GUI thread):
  // shown, not edited.
  rank_spin_->setEnabled(current.adapter.match_parameters_of.empty());
  showProblems();
  showParameters();
  if (problems_.empty()) startEstimate(current);
  Q_EMIT validityChanged(problems_.empty(),
                         problems_.empty() ? QString() : problemText(problems_.front()));
  Q_EMIT configChanged();
}

std::vector<ConfigProblem> ExperimentForm::collectProblems(const ExperimentConfig& current) {
  std::vector<ConfigProblem> problems;
  const auto add = [&problems](const char* field, const QString& message) {
    problems.push_back({field, message.toStdString()});
  };
  // A text that does not parse leaves the loaded value in config(), so the config API
  // does not report these fields again.
  const std::pair<QLineEdit*, const char*> numbers[] = {
      {temperature_edit_, "adapter.temperature"},
      {adapter_lr_edit_, "train.adapter_learning_rate"},
      {router_lr_edit_, "train.router_learning_rate"}};
  for (const auto& [edit, field] : numbers) {
    bool ok = false;
    edit->text().trimmed().toDouble(&ok);
    if (!ok) add(field, QStringLiteral("not a number: \"%1\"").arg(edit->text()));
  }
  const std::pair<QLineEdit*, const char*> integers[] = {
      {steps_edit_, "train.steps"},
      {eval_every_edit_, "train.eval_every"},
      {routing_every_edit_, "train.routing_every"}};
  for (const auto& [edit, field] : integers) {
    bool ok = false;
    edit->text().trimmed().toLongLong(&ok);
    if (!ok) {
      add(field, QStringLiteral("not a whole number from %1 to %2: \"%3\"")
                     .arg(std::numeric_limits<qlonglong>::min())
                     .arg(std::numeric_limits<qlonglong>::max())
                     .arg(edit->text()));
    }
  }
  bool seed_ok = false;
  seed_edit_->text().trimmed().toULongLong(&seed_ok);
  if (!seed_ok) {
    add("seed", QStringLiteral("not a whole number from 0 to %1: \"%2\"")
                    .arg(std::numeric_limits<qulonglong>::max())
                    .arg(seed_edit_->text()));
  }
  try {
    validate(current);
  } catch (const ConfigError& error) {
    problems.insert(problems.end(), error.problems().begin(), error.problems().end());
  } catch (const std::exception& error) {
    problems.push_back({std::string(), error.what()});  // shown on top, never dropped
  }
  return problems;
}

void ExperimentForm::showProblems() {
  QMap<QString, QStringList> by_field;
  QStringList general;
  for (const ConfigProblem& problem : problems_) {
    // The field itself, else the nearest enclosing field the form shows.
    QString key = QString::fromStdString(problem.field);
    while (!key.isEmpty() && !fields_.contains(key)) {
      const int dot = key.lastIndexOf(QLatin1Char('.'));
      key = dot > 0 ? key.left(dot) : QString();
    }
    const QWidget* row = rows_.value(key);
    if (!key.isEmpty() && row && !row->isHidden()) {
      by_field[key] << QString::fromStdString(problem.message);
    } else {
      general << problemText(problem);
    }
  }
  for (auto it = fields_.cbegin(); it != fields_.cend(); ++it) {
    const QStringList messages = by_field.value(it.key());
    it.value().error->setText(messages.join(QLatin1Char('\n')));
    it.value().error->setVisible(!messages.isEmpty());
  }
  general_error_->setText(general.join(QLatin1Char('\n')));
  general_error_->setVisible(!general.isEmpty());
}

void ExperimentForm::startEstimate(const ExperimentConfig& current) {
  // The estimate matches the regexes over every module name and, for a JSONL suite,
  // reads the training file: on the pool, so that typing never waits for it. Only the
  // answer to the latest edit is shown. QCoreApplication waits for the pool before it
  // goes, so the queued answer always has a receiver; the form may be gone by then.
  const uint64_t generation = ++estimate_generation_;
  const QPointer<ExperimentForm> form(this);
  QThreadPool::globalInstance()->start([form, generation, current] {
    ParameterCounts counts;
    int64_t matched_rank = 0;
    std::vector<ConfigProblem> problems;
    try {
      if (!current.adapter.match_parameters_of.empty()) {
        matched_rank = resolve_parameter_matching(current).adapter.rank;
      }
      counts = estimate_parameters(current);
    } catch (const ConfigError& error) {
      problems = error.problems();
    } catch (const std::exception& error) {
      problems.push_back({std::string(), error.what()});
    }
    QMetaObject::invokeMethod(
        QCoreApplication::instance(),
        [form, generation, counts, matched_rank, problems] {
          if (form) form->applyEstimate(generation, counts, matched_rank, problems);
        },
        Qt::QueuedConnection);
  });
}

void ExperimentForm::applyEstimate(uint64_t generation, const ParameterCounts& counts,
                                   int64_t matched_rank,
                                   const std::vector<ConfigProblem>& problems) {
  if (generation != estimate_generation_) return;  // an older edit's answer
  if (matched_rank > 0 && problems.empty()) {
    const QSignalBlocker blocker(rank_spin_);
    rank_spin_->setValue(static_cast<int>(matched_rank));
  }
  if (problems_.empty() && !problems.empty()) {
    problems_ = problems;
    showProblems();
    Q_EMIT validityChanged(false, problemText(problems_.front()));
  }
  if (problems_.empty()) parameters_ = counts;
  showParameters();
  Q_EMIT parametersEstimated();
}

void ExperimentForm::showParameters() {
  if (!problems_.empty()) {
    parameters_label_->setText(tr("Trainable parameters: — (fix the fields marked in red)"));
    return;
  }
  if (parameters_.total == 0) {
    parameters_label_->setText(tr("Trainable parameters: estimating…"));
    return;
  }
  const QLocale locale;
  parameters_label_->setText(
      tr("Trainable parameters: <b>%1</b> (per task %2, router %3) · model total %4")
          .arg(locale.toString(static_cast<qlonglong>(parameters_.trainable)),
               locale.toString(static_cast<qlonglong>(parameters_.per_task)),
               locale.toString(static_cast<qlonglong>(parameters_.router)),
               locale.toString(static_cast<qlonglong>(parameters_.total))));
}

}  // namespace tensorpoly::ui
