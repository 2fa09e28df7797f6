// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/experiment_form.h"

#include <gtest/gtest.h>

#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "studio_test_support.h"
#include "ui/main_window.h"
#include "ui/run_controls.h"

namespace tensorpoly::ui {
namespace {

TEST(ExperimentForm, EveryBuiltInPresetLoadsAndIsValid) {
  testing::ensureApplication();
  const QStringList names = ExperimentForm::presetNames();
  for (const char* expected :
       {"default", "tiny", "lora", "tlora", "poly", "mhr", "tensorpoly-1", "tensorpoly-2"}) {
    EXPECT_TRUE(names.contains(QString::fromLatin1(expected))) << expected;
  }
  ExperimentForm form;
  // The engine's embedded presets, the same list tensorpoly-run --preset takes.
  std::vector<std::string> listed;
  for (const QString& name : names) listed.push_back(name.toStdString());
  EXPECT_EQ(listed, preset_names());
  auto* combo = form.findChild<QComboBox*>(QStringLiteral("presetCombo"));
  ASSERT_NE(combo, nullptr);
  ASSERT_EQ(combo->count(), names.size() + 1);  // "Preset…" first
  for (int i = 0; i < names.size(); ++i) EXPECT_EQ(combo->itemText(i + 1), names[i]);
  for (const QString& name : names) {
    QSignalSpy estimated(&form, &ExperimentForm::parametersEstimated);
    EXPECT_EQ(form.loadPreset(name), QString()) << name.toStdString();
    if (name == QStringLiteral("hf-t5")) {
      // It names a checkpoint folder the user copies in; until then that is the one
      // problem the form shows. The folder is read by the estimate, off the GUI thread.
      ASSERT_TRUE(estimated.count() > 0 || estimated.wait(30000));
      ASSERT_EQ(form.problems().size(), 1) << form.problems().join("; ").toStdString();
      EXPECT_TRUE(form.problems().front().contains(QStringLiteral("models/t5-v1_1-base")))
          << form.problems().front().toStdString();
      continue;
    }
    EXPECT_TRUE(form.isValid()) << name.toStdString() << ": "
                                << form.problems().join("; ").toStdString();
  }
}

TEST(ExperimentForm, AnInvalidFieldKeepsRunDisabledAndIsExplainedNextToIt) {
  testing::ensureApplication();
  MainWindow window(testing::tempPath("form.sqlite"));
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ExperimentForm* form = window.experimentForm();
  QPushButton* run = window.runControls()->runButton();
  QAction* run_action = window.action("actionRun");
  ASSERT_NE(run_action, nullptr);
  ASSERT_TRUE(form->isValid()) << form->problems().join("; ").toStdString();
  EXPECT_TRUE(run->isEnabled());
  EXPECT_TRUE(run_action->isEnabled());

  // Rank 0: the config API's message appears under the rank field; Run is disabled.
  auto* rank = qobject_cast<QSpinBox*>(form->fieldWidget("adapter.rank"));
  ASSERT_NE(rank, nullptr);
  rank->setValue(0);
  EXPECT_FALSE(form->isValid());
  EXPECT_FALSE(run->isEnabled());
  EXPECT_FALSE(run_action->isEnabled());  // Ctrl+R too
  EXPECT_TRUE(run->toolTip().contains("adapter.rank")) << run->toolTip().toStdString();
  QLabel* rank_error = form->errorLabel("adapter.rank");
  ASSERT_NE(rank_error, nullptr);
  EXPECT_TRUE(rank_error->isVisible());
  EXPECT_TRUE(rank_error->text().contains("rank")) << rank_error->text().toStdString();
  EXPECT_TRUE(rank_error->text().contains(">= 1")) << rank_error->text().toStdString();
  EXPECT_TRUE(form->errorFor("train.steps").isEmpty());

  // A learning rate that is not a number, and a negative one.
  auto* learning_rate = qobject_cast<QLineEdit*>(form->fieldWidget("train.adapter_learning_rate"));
  ASSERT_NE(learning_rate, nullptr);
  QTest::keyClicks(learning_rate, "x");
  EXPECT_TRUE(form->errorFor("train.adapter_learning_rate").contains("not a number"));
  learning_rate->setText("-0.5");
  EXPECT_TRUE(form->errorFor("train.adapter_learning_rate").contains(">= 0"))
      << form->errorFor("train.adapter_learning_rate").toStdString();
  learning_rate->setText("2e-3");
  EXPECT_TRUE(form->errorFor("train.adapter_learning_rate").isEmpty());
  EXPECT_FALSE(run->isEnabled());  // rank is still 0

  // A valid rank again; then an unsupported tensor order is the one problem.
  rank->setValue(8);
  EXPECT_TRUE(form->isValid()) << form->problems().join("; ").toStdString();
  EXPECT_FALSE(rank_error->isVisible());
  auto* order = qobject_cast<QSpinBox*>(form->fieldWidget("adapter.order"));
  ASSERT_NE(order, nullptr);
  order->setValue(3);
  EXPECT_FALSE(form->isValid());
  const QString order_error = form->errorFor("adapter.order");
  EXPECT_TRUE(order_error.contains("order must be one of 1, 2, 4")) << order_error.toStdString();
  EXPECT_TRUE(order_error.contains("(got 3)")) << order_error.toStdString();
  EXPECT_TRUE(form->errorLabel("adapter.order")->isVisible());
  EXPECT_TRUE(form->errorFor("adapter.rank").isEmpty());
  EXPECT_FALSE(run->isEnabled());
  EXPECT_FALSE(run_action->isEnabled());

  order->setValue(2);
  EXPECT_TRUE(form->isValid()) << form->problems().join("; ").toStdString();
  EXPECT_TRUE(run->isEnabled());
  EXPECT_TRUE(run_action->isEnabled());
  EXPECT_FALSE(form->errorLabel("adapter.order")->isVisible());
  EXPECT_DOUBLE_EQ(form->config().train.adapter_learning_rate, 2e-3);
}

TEST(ExperimentForm, ParameterCountsFollowTheFields) {
  testing::ensureApplication();
  ExperimentForm form;
  // The estimate runs off the GUI thread; its answer arrives as parametersEstimated().
  QSignalSpy estimated(&form, &ExperimentForm::parametersEstimated);
  ASSERT_EQ(form.loadPreset("default"), QString());
  ASSERT_TRUE(estimated.wait(30000));
  const ParameterCounts before = form.parameters();
  EXPECT_GT(before.trainable, 0);
  EXPECT_GT(before.per_task, 0);
  EXPECT_GT(before.total, before.trainable);
  EXPECT_EQ(before.trainable, estimate_parameters(form.config()).trainable);
  auto* skills = qobject_cast<QSpinBox*>(form.fieldWidget("adapter.n_skills"));
  ASSERT_NE(skills, nullptr);
  skills->setValue(skills->value() * 2);
  EXPECT_EQ(form.parameters().trainable, 0);  // until the new estimate is back
  ASSERT_TRUE(estimated.wait(30000));
  const ParameterCounts after = form.parameters();
  EXPECT_GT(after.trainable, before.trainable);
  EXPECT_EQ(after.trainable, estimate_parameters(form.config()).trainable);
  EXPECT_TRUE(
      form.parameterText().contains(QLocale().toString(static_cast<qlonglong>(after.trainable))));
}

TEST(ExperimentForm, SavesAndLoadsConfigJson) {
  testing::ensureApplication();
  ExperimentForm form;
  ASSERT_EQ(form.loadPreset("tiny"), QString());
  auto* steps = qobject_cast<QLineEdit*>(form.fieldWidget("train.steps"));
  ASSERT_NE(steps, nullptr);
  steps->setText("77");
  auto* method = qobject_cast<QComboBox*>(form.fieldWidget("adapter.method"));
  method->setCurrentText("poly");
  const QString path = testing::tempPath("form-config.json");
  ASSERT_EQ(form.saveFile(path), QString());
  ExperimentForm other;
  ASSERT_EQ(other.loadFile(path), QString());
  EXPECT_EQ(other.config().train.steps, 77);
  EXPECT_EQ(other.config().adapter.method, "poly");
  EXPECT_EQ(other.configJson(), form.configJson());
  // Fields the form does not show are kept (the tiny preset has no base pre-training).
  EXPECT_EQ(other.config().base.pretrain_steps, 0);

  // A broken file is refused with its name in the message.
  const QString broken = testing::tempPath("broken.json");
  {
    QFile file(broken);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("{\"train\": {\"steps\": -3}}");
  }
  const QString error = other.loadFile(broken);
  EXPECT_TRUE(error.contains("train.steps")) << error.toStdString();
}

// Several wrong fields at once: every problem is shown, each beside its own field, and
// one of a field the form does not show goes to the message area on top.
TEST(ExperimentForm, ShowsEveryProblemAtOnceBesideItsField) {
  testing::ensureApplication();
  ExperimentForm form;
  ASSERT_EQ(form.loadPreset("tiny"), QString());
  ExperimentConfig config = form.config();
  config.base.pretrain_steps = 5;
  config.base.copy_steps = 10;  // no widget of its own
  form.setConfig(config);
  qobject_cast<QSpinBox*>(form.fieldWidget("adapter.rank"))->setValue(0);
  qobject_cast<QSpinBox*>(form.fieldWidget("adapter.order"))->setValue(3);
  qobject_cast<QLineEdit*>(form.fieldWidget("train.steps"))->setText("-3");
  qobject_cast<QLineEdit*>(form.fieldWidget("train.adapter_learning_rate"))->setText("x");
  qobject_cast<QLineEdit*>(form.fieldWidget("seed"))->clear();
  qobject_cast<QComboBox*>(form.fieldWidget("device"))->setCurrentText("gpu");

  const std::vector<std::pair<QString, QString>> expected = {
      {"adapter.rank", "rank must be >= 1"},
      {"adapter.order", "order must be one of 1, 2, 4"},
      {"train.steps", "must be >= 0, got -3"},
      {"train.adapter_learning_rate", "not a number"},
      {"seed", "not a whole number"},
      {"device", "must be one of auto, cpu, cuda, cuda:N"}};
  EXPECT_FALSE(form.isValid());
  for (const auto& [field, words] : expected) {
    SCOPED_TRACE(field.toStdString());
    EXPECT_TRUE(form.errorFor(field).contains(words)) << form.errorFor(field).toStdString();
    EXPECT_FALSE(form.errorLabel(field)->isHidden());
  }
  // Nothing else is marked, and the problems are the structured list the labels show.
  for (const QString& field : form.fieldNames()) {
    const bool marked = std::any_of(expected.begin(), expected.end(),
                                    [&](const auto& entry) { return entry.first == field; });
    EXPECT_EQ(form.errorLabel(field)->isHidden(), !marked) << field.toStdString();
  }
  const auto& problems = form.configProblems();
  EXPECT_EQ(problems.size(), expected.size() + 1) << form.problems().join("\n").toStdString();
  EXPECT_EQ(form.problems().size(), static_cast<int>(problems.size()));
  auto* general = form.findChild<QLabel*>(QStringLiteral("generalError"));
  ASSERT_NE(general, nullptr);
  EXPECT_FALSE(general->isHidden());
  EXPECT_TRUE(general->text().contains("base.copy_steps: must be <= base.pretrain_steps (5)"))
      << general->text().toStdString();
  EXPECT_FALSE(general->text().contains("adapter.rank")) << general->text().toStdString();

  // Fixing one field clears its message only.
  qobject_cast<QSpinBox*>(form.fieldWidget("adapter.rank"))->setValue(4);
  EXPECT_TRUE(form.errorLabel("adapter.rank")->isHidden());
  EXPECT_FALSE(form.errorLabel("adapter.order")->isHidden());
  EXPECT_EQ(form.configProblems().size(), expected.size());
}

// Steps, intervals and seeds are 64-bit in the config: the form neither clamps
// them to a QSpinBox's int range nor accepts what is not a whole number.
TEST(ExperimentForm, KeepsSixtyFourBitStepsAndSeedsAndExplainsNonIntegers) {
  testing::ensureApplication();
  ExperimentForm form;
  ASSERT_EQ(form.loadPreset("tiny"), QString());
  ExperimentConfig config = form.config();
  config.train.steps = int64_t{5'000'000'000};
  config.train.routing_every = int64_t{3'000'000'000};
  config.seed = std::numeric_limits<uint64_t>::max() - 4;
  form.setConfig(config);
  EXPECT_TRUE(form.isValid()) << form.problems().join("; ").toStdString();
  EXPECT_EQ(form.config().train.steps, int64_t{5'000'000'000});
  EXPECT_EQ(form.config().train.routing_every, int64_t{3'000'000'000});
  EXPECT_EQ(form.config().seed, std::numeric_limits<uint64_t>::max() - 4);
  auto* seed = qobject_cast<QLineEdit*>(form.fieldWidget("seed"));
  ASSERT_NE(seed, nullptr);
  EXPECT_EQ(seed->text(), QStringLiteral("18446744073709551611"));

  // Typed digits past the 64-bit range, and an empty field, are explained next to it.
  seed->setText("99999999999999999999");
  EXPECT_FALSE(form.isValid());
  EXPECT_TRUE(form.errorFor("seed").contains("not a whole number from 0 to 18446744073709551615"))
      << form.errorFor("seed").toStdString();
  seed->setText("42");
  EXPECT_TRUE(form.isValid());
  EXPECT_EQ(form.config().seed, 42u);
  auto* steps = qobject_cast<QLineEdit*>(form.fieldWidget("train.steps"));
  ASSERT_NE(steps, nullptr);
  steps->clear();
  EXPECT_FALSE(form.isValid());
  EXPECT_TRUE(form.errorFor("train.steps").contains("not a whole number"))
      << form.errorFor("train.steps").toStdString();
  // Letters never get in (the validator refuses the key presses).
  QTest::keyClicks(steps, "1x2");
  EXPECT_EQ(steps->text(), QStringLiteral("12"));
  EXPECT_TRUE(form.isValid());
  EXPECT_EQ(form.config().train.steps, 12);
  // A negative count is the config API's to refuse, with its own message.
  steps->setText("-3");
  EXPECT_TRUE(form.errorFor("train.steps").contains(">= 0"))
      << form.errorFor("train.steps").toStdString();
}

// The form fits its dock at the window's default layout: the file buttons and the
// parameter counts are in view, and no field runs past the right edge.
TEST(ExperimentForm, LaysOutWithoutClippingAtTheDefaultDockSize) {
  testing::ensureApplication();
  MainWindow window(testing::tempPath("form-layout.sqlite"));
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ExperimentForm* form = window.experimentForm();
  ASSERT_EQ(form->loadPreset("tiny"), QString());  // its long name fills the name field
  QTest::qWait(50);
  ASSERT_GT(form->width(), 0);
  const QRect form_rect = form->rect();
  const auto insideForm = [&](const QWidget* widget) {
    const QRect rect(widget->mapTo(form, QPoint(0, 0)), widget->size());
    return form_rect.contains(rect);
  };
  for (const char* name : {"presetCombo", "loadConfigButton", "saveConfigButton"}) {
    auto* widget = form->findChild<QWidget*>(QString::fromLatin1(name));
    ASSERT_NE(widget, nullptr) << name;
    EXPECT_TRUE(widget->isVisible()) << name;
    EXPECT_TRUE(insideForm(widget))
        << name << " at " << widget->mapTo(form, QPoint(0, 0)).x() << "+" << widget->width()
        << " in a form " << form->width() << " wide";
  }
  auto* parameters = form->findChild<QLabel*>("parametersLabel");
  ASSERT_NE(parameters, nullptr);
  EXPECT_TRUE(parameters->isVisible());
  EXPECT_TRUE(insideForm(parameters));
  EXPECT_FALSE(parameters->visibleRegion().isEmpty());
  EXPECT_TRUE(parameters->text().contains("Trainable parameters"))
      << parameters->text().toStdString();

  // Every field fits the width of the scrolled area; nothing needs a horizontal scroll.
  auto* scroll = form->findChild<QScrollArea*>("formScrollArea");
  ASSERT_NE(scroll, nullptr);
  EXPECT_FALSE(scroll->horizontalScrollBar()->isVisible());
  const int viewport_width = scroll->viewport()->width();
  EXPECT_LE(scroll->widget()->width(), viewport_width);
  for (const QString& field : form->fieldNames()) {
    QWidget* editor = form->fieldWidget(field);
    if (!editor->isVisibleTo(form)) continue;
    const int right = editor->mapTo(scroll->viewport(), QPoint(editor->width(), 0)).x();
    EXPECT_LE(right, viewport_width) << field.toStdString();
    EXPECT_GE(editor->width(), 60) << field.toStdString();  // room to read a value
  }
}

}  // namespace
}  // namespace tensorpoly::ui
