// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/comparison_view.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <QCheckBox>
#include <QComboBox>
#include <QSlider>
#include <QTableWidget>
#include <QTest>
#include <map>

#include "studio_test_support.h"
#include "ui/comparison_curves_page.h"
#include "ui/comparison_metrics_page.h"
#include "ui/comparison_routing_page.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"
#include "ui/task_selection.h"

namespace tensorpoly::ui {
namespace {

const std::string kQuery = "encoder.block.0.layer.0.SelfAttention.q";
const std::string kOutput = "decoder.block.0.layer.2.DenseReluDense.wo";

// A run over named tasks, in this run's order. Every task routes mostly to "its" skill
// (skill_of_task, before the permutation): skill permutation[s] of this run is skill s
// of a run with the identity permutation. Two layers whose routing differ (the weight
// of the own skill: query 0.85, output 0.55 at step 10; less peaked at step 5), and
// evaluations at steps 5 and 10 whose loss depends on the task's name, not its index.
struct SuiteRun {
  std::string name;
  std::vector<std::string> tasks;
  std::vector<int> permutation = {0, 1, 2, 3};
};

const std::map<std::string, int> kSkillOfTask = {{"copy", 0},  {"reverse", 1}, {"upper", 2},
                                                 {"shift", 3}, {"x", 0},       {"y", 1},
                                                 {"z", 2},     {"w", 3}};
const std::map<std::string, double> kEvalLossOfTask = {
    {"copy", 0.5}, {"reverse", 1.5}, {"upper", 2.5}, {"shift", 3.5},
    {"x", 0.5},    {"y", 1.5},       {"z", 2.5},     {"w", 3.5}};

double ownWeight(const std::string& layer, int64_t step) {
  if (layer == kQuery) return step >= 10 ? 0.85 : 0.40;
  return step >= 10 ? 0.55 : 0.31;
}

int64_t recordSuiteRun(const QString& database, const SuiteRun& run) {
  sessions::Recorder recorder(database.toStdString());
  RunStarted started;
  started.name = run.name;
  started.config_json = R"({"adapter": {"method": "poly"}})";
  started.method = "poly";
  for (size_t task = 0; task < run.tasks.size(); ++task) {
    TaskInfo info;
    info.index = static_cast<int>(task);
    info.name = run.tasks[task];
    started.tasks.push_back(info);
  }
  started.total_steps = 10;
  recorder.on_run_started(started);
  const auto n_tasks = static_cast<int64_t>(run.tasks.size());
  const auto n_skills = static_cast<int64_t>(run.permutation.size());
  for (int64_t step = 1; step <= 10; ++step) {
    StepMetrics metrics;
    metrics.step = step;
    metrics.wall_time_s = 0.1 * static_cast<double>(step);
    for (int task = 0; task < n_tasks; ++task)
      metrics.metrics.push_back({task, "train", "loss", 2.0 / static_cast<double>(step)});
    recorder.on_step(metrics);
    if (step % 5 != 0) continue;
    RoutingSnapshot snapshot{step, {}};
    for (const std::string& layer : {kQuery, kOutput}) {
      const double own = ownWeight(layer, step);
      std::vector<float> values(
          static_cast<size_t>(n_tasks * n_skills),
          static_cast<float>((1.0 - own) / static_cast<double>(n_skills - 1)));
      for (int64_t task = 0; task < n_tasks; ++task) {
        const int skill = run.permutation[static_cast<size_t>(
            kSkillOfTask.at(run.tasks[static_cast<size_t>(task)]))];
        values[static_cast<size_t>(task * n_skills + skill)] = static_cast<float>(own);
      }
      snapshot.layers.push_back(testing::skillsMatrix(layer, n_tasks, n_skills, values));
    }
    recorder.on_routing(snapshot);
    EvalResult eval;
    eval.step = step;
    eval.wall_time_s = metrics.wall_time_s;
    for (int task = 0; task < n_tasks; ++task) {
      eval.tasks.push_back(
          {task,
           kEvalLossOfTask.at(run.tasks[static_cast<size_t>(task)]) / static_cast<double>(step),
           -1.0, -1.0, 8});
    }
    recorder.on_eval(eval);
  }
  recorder.on_run_ended({RunStatus::kFinished, 10, ""});
  const int64_t id = recorder.run_id();
  recorder.close();
  return id;
}

std::vector<std::pair<double, double>> points(const QCPGraph* graph) {
  std::vector<std::pair<double, double>> result;
  for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
    result.emplace_back(it->key, it->value);
  return result;
}

void redraw(RoutingHeatmapView* view) {
  view->redrawNow();
  view->plot()->replot(QCustomPlot::rpImmediateRefresh);
}

void execute(const QString& database, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(database.toStdString().c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

TEST(ComparisonView, ARunTheStoreDoesNotHaveIsReportedNotCompared) {
  testing::ensureApplication();
  const QString database = testing::tempPath("compare-missing.sqlite");
  const int64_t a = testing::recordRun(database, testing::FakeRun{});
  auto store = sessions::Store::open(database.toStdString());
  ComparisonView view;
  const QString error = view.setRuns(&store, {sessions::RunRef(a), sessions::RunRef(a + 41)});
  EXPECT_TRUE(error.contains(QStringLiteral("no run %1").arg(a + 41))) << error.toStdString();
  EXPECT_EQ(view.runCount(), 0);
  EXPECT_TRUE(view.heatmaps().empty());
}

TEST(ComparisonView, AConfigThatIsNotJsonIsRefusedNamingTheRun) {
  testing::ensureApplication();
  const QString database = testing::tempPath("compare-bad-config.sqlite");
  const int64_t a = testing::recordRun(database, testing::FakeRun{});
  testing::FakeRun second;
  second.name = "broken";
  const int64_t b = testing::recordRun(database, second);
  execute(database,
          "UPDATE runs SET config_json = '{\"adapter\": ' WHERE id = " + std::to_string(b));
  auto store = sessions::Store::open(database.toStdString());
  ComparisonView view;
  const QString error = view.setRuns(&store, {sessions::RunRef(a), sessions::RunRef(b)});
  EXPECT_TRUE(error.startsWith(QStringLiteral("%1 broken: config JSON: ").arg(b)))
      << error.toStdString();
  EXPECT_EQ(view.runCount(), 0);
}

// A run whose rows the store cannot read (here: a routing row whose values do not fit
// its shape) is shown without that data, and the routing tab says why, naming the run;
// the other run is drawn as usual.
TEST(ComparisonView, RoutingTheStoreCannotReadIsSaidNotShownAsNoRouting) {
  testing::ensureApplication();
  const QString database = testing::tempPath("compare-damaged-routing.sqlite");
  const int64_t a = testing::recordRun(database, testing::FakeRun{});
  testing::FakeRun second;
  second.name = "damaged";
  const int64_t b = testing::recordRun(database, second);
  execute(database, "UPDATE routing SET shape = '[7]' WHERE run_id = " + std::to_string(b));
  auto store = sessions::Store::open(database.toStdString());
  ComparisonView view;
  ASSERT_EQ(view.setRuns(&store, {sessions::RunRef(a), sessions::RunRef(b)}), QString());

  const QString problems = view.routingPage()->problems();
  EXPECT_TRUE(problems.startsWith(QStringLiteral("%1 damaged: ").arg(b))) << problems.toStdString();
  EXPECT_TRUE(problems.contains(QStringLiteral("bytes of values for shape [7]")))
      << problems.toStdString();
  ASSERT_EQ(view.heatmaps().size(), 2u);
  EXPECT_FALSE(view.heatmaps()[0]->layers().isEmpty());
  EXPECT_TRUE(view.heatmaps()[1]->layers().isEmpty());
  // The other tabs read other tables and have nothing to report.
  EXPECT_EQ(view.curvesPage()->problems(), QString());
  EXPECT_EQ(view.metricsPage()->problems(), QString());
}

// A run of an attached store that is detached while it is compared: its curve and its
// final metrics cannot be read any more, and each tab says so.
TEST(ComparisonView, ADetachedStoreIsSaidOnTheCurvesAndMetricsTabs) {
  testing::ensureApplication();
  const QString local = testing::tempPath("compare-local.sqlite");
  const int64_t a = testing::recordRun(local, testing::FakeRun{});
  const QString remote = testing::tempPath("compare-remote.sqlite");
  const int64_t b = testing::recordRun(remote, testing::FakeRun{});
  auto store = sessions::Store::open(local.toStdString());
  const std::string name = store.attach(remote.toStdString());
  ComparisonView view;
  ASSERT_EQ(view.setRuns(&store, {sessions::RunRef(a), sessions::RunRef(name, b)}), QString());
  EXPECT_EQ(view.curvesPage()->problems(), QString());
  EXPECT_GT(view.curvePlot()->graph(1)->dataCount(), 0);

  store.detach(name);
  view.curveSplitCombo()->setCurrentIndex(view.curveSplitCombo()->findText("eval"));
  const QString curves = view.curvesPage()->problems();
  EXPECT_TRUE(
      curves.startsWith(QStringLiteral("%1:%2 fake: ").arg(QString::fromStdString(name)).arg(b)))
      << curves.toStdString();
  EXPECT_TRUE(curves.contains(
      QStringLiteral("no attached database named '%1'").arg(QString::fromStdString(name))))
      << curves.toStdString();
  ASSERT_EQ(view.curvePlot()->graphCount(), 2);
  EXPECT_GT(view.curvePlot()->graph(0)->dataCount(), 0);
  EXPECT_EQ(view.curvePlot()->graph(1)->dataCount(), 0);

  QComboBox* metric = view.metricsPage()->metricCombo();
  ASSERT_GT(metric->count(), 1);
  metric->setCurrentIndex(metric->currentIndex() == 0 ? 1 : 0);
  // The store's own message (here SQLite's "no such table: db1.metrics"), beside the run.
  const QString metrics = view.metricsPage()->problems();
  EXPECT_TRUE(
      metrics.startsWith(QStringLiteral("%1:%2 fake: ").arg(QString::fromStdString(name)).arg(b)))
      << metrics.toStdString();
}

TEST(ComparisonView, ComparingTwoStoredRunsListsExactlyTheDifferingConfigFields) {
  testing::ensureApplication();
  const QString database = testing::tempPath("compare.sqlite");
  testing::FakeRun first;
  const int64_t a = testing::recordRun(database, first);
  testing::FakeRun second = first;
  second.config.adapter.rank = 4;
  second.config.train.router_learning_rate = 0.05;
  second.config.suite.synthetic.alphabet = "abcdefghij";
  second.loss_offset = 0.5;
  // The second run learnt the same skills in another order: its skill p[s] is skill s.
  const std::vector<int> permutation = {2, 0, 3, 1};
  second.routing.assign(3, std::vector<float>(4, 0.1f));
  for (int task = 0; task < 3; ++task) {
    second.routing[static_cast<size_t>(task)]
                  [static_cast<size_t>(permutation[static_cast<size_t>(task)])] = 0.7f;
  }
  const int64_t b = testing::recordRun(database, second);

  auto store = sessions::Store::open(database.toStdString());
  ComparisonView view;
  view.resize(1200, 700);
  view.show();
  ASSERT_EQ(view.setRuns(&store, {sessions::RunRef(a), sessions::RunRef(b)}), QString());

  std::vector<std::string> keys;
  for (const ConfigDifference& difference : view.configDifferences())
    keys.push_back(difference.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"adapter.rank", "suite.alphabet",
                                            "train.router_learning_rate"}));
  ASSERT_EQ(view.configTable()->rowCount(), 3);
  EXPECT_EQ(view.configTable()->item(0, 0)->text(), "adapter.rank");
  EXPECT_EQ(view.configTable()->item(0, 1)->text(), "16");
  EXPECT_EQ(view.configTable()->item(0, 2)->text(), "4");

  // Curves: one per run.
  EXPECT_EQ(view.curvePlot()->graphCount(), 2);
  EXPECT_GT(view.curvePlot()->graph(0)->dataCount(), 0);

  // Final metrics: the first run has the lower eval loss on every task, so it is marked best.
  QTableWidget* metrics = view.metricTable();
  ASSERT_GT(metrics->rowCount(), 1);
  ASSERT_EQ(metrics->columnCount(), 3);
  bool found_best = false;
  for (int row = 0; row < metrics->rowCount(); ++row) {
    const bool first_best = metrics->item(row, 1)->data(Qt::UserRole + 1).toBool();
    const bool second_best = metrics->item(row, 2)->data(Qt::UserRole + 1).toBool();
    EXPECT_NE(first_best, second_best) << "row " << row;
    found_best = found_best || first_best || second_best;
    EXPECT_TRUE(metrics->item(row, first_best ? 1 : 2)->text().startsWith(QStringLiteral("★")));
  }
  EXPECT_TRUE(found_best);

  // Routing side by side, skills of the second run aligned to the first.
  ASSERT_EQ(view.heatmaps().size(), 2u);
  view.setLayer("encoder.block.0.layer.0.SelfAttention.q");
  EXPECT_EQ(view.shownSkillOrder(1), (std::vector<int>{2, 0, 3, 1}));
  EXPECT_EQ(view.heatmaps()[0]->currentStep(), view.heatmaps()[1]->currentStep());
  view.alignCheck()->setChecked(false);
  EXPECT_EQ(view.shownSkillOrder(1), (std::vector<int>{0, 1, 2, 3}));
  // The step follows from one heatmap to the other.
  view.setStep(10);
  EXPECT_EQ(view.heatmaps()[0]->currentStep(), 10);
  EXPECT_EQ(view.heatmaps()[1]->currentStep(), 10);
}

TEST(ComparisonView, EvalCurvesComeFromTheStoredEvaluations) {
  testing::ensureApplication();
  const QString database = testing::tempPath("compare-eval.sqlite");
  testing::FakeRun first;
  const int64_t a = testing::recordRun(database, first);
  testing::FakeRun second = first;
  second.loss_offset = 0.5;
  const int64_t b = testing::recordRun(database, second);
  auto store = sessions::Store::open(database.toStdString());
  ComparisonView view;
  ASSERT_EQ(view.setRuns(&store, {sessions::RunRef(a), sessions::RunRef(b)}), QString());

  // recordRun evaluates at steps 10 and 20: loss = offset + 2 / step + 0.2 task.
  view.curveSplitCombo()->setCurrentIndex(view.curveSplitCombo()->findText("eval"));
  ASSERT_EQ(view.curvePlot()->graphCount(), 2);
  const auto near = [](const std::vector<std::pair<double, double>>& actual,
                       const std::vector<std::pair<double, double>>& expected) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      EXPECT_EQ(actual[i].first, expected[i].first) << "point " << i;
      EXPECT_NEAR(actual[i].second, expected[i].second, 1e-9) << "point " << i;
    }
  };
  // The mean over the three tasks at each evaluated step (mean of 0, 0.2, 0.4 = 0.2).
  near(points(view.curvePlot()->graph(0)), {{10, 0.4}, {20, 0.3}});
  near(points(view.curvePlot()->graph(1)), {{10, 0.9}, {20, 0.8}});
  // One task.
  view.curveTaskCombo()->setCurrentIndex(view.curveTaskCombo()->findData("task_2"));
  near(points(view.curvePlot()->graph(0)), {{10, 0.6}, {20, 0.5}});
  near(points(view.curvePlot()->graph(1)), {{10, 1.1}, {20, 1.0}});
  // Back to train: the per-step metric series.
  view.curveSplitCombo()->setCurrentIndex(view.curveSplitCombo()->findText("train"));
  EXPECT_EQ(view.curvePlot()->graph(0)->dataCount(), 20);
}

class ComparisonOfSuites : public ::testing::Test {
 protected:
  void compare(const std::vector<SuiteRun>& suites) {
    database_ = testing::tempPath("compare-suites.sqlite");
    std::vector<sessions::RunRef> runs;
    for (const SuiteRun& suite : suites) runs.emplace_back(recordSuiteRun(database_, suite));
    store_ = std::make_unique<sessions::Store>(sessions::Store::open(database_.toStdString()));
    view_.resize(1400, 700);
    view_.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&view_));
    ASSERT_EQ(view_.setRuns(store_.get(), runs), QString());
    view_.tabs()->setCurrentIndex(3);  // the routing tab, so that the panels have a size
    QTest::qWait(20);                  // lays it out
    for (RoutingHeatmapView* heatmap : view_.heatmaps()) redraw(heatmap);
  }
  testing::ApplicationGuard application_;
  QString database_;
  std::unique_ptr<sessions::Store> store_;
  ComparisonView view_;
};

TEST_F(ComparisonOfSuites, OneLayerSelectorAndOneStepSliderDriveEveryPanel) {
  compare({{"a", {"copy", "reverse", "upper", "shift"}},
           {"b", {"shift", "upper", "copy", "reverse"}, {2, 0, 3, 1}}});
  ASSERT_EQ(view_.heatmaps().size(), 2u);
  for (RoutingHeatmapView* heatmap : view_.heatmaps()) {
    EXPECT_TRUE(heatmap->isEmbedded());
    EXPECT_TRUE(heatmap->layerCombo()->isHidden());
    EXPECT_TRUE(heatmap->stepControls()->isHidden());
  }
  // "copy" is task 0 of run a and task 2 of run b; aligned, its skill is 0 in both.
  const auto copy_value = [this](size_t panel) {
    RoutingHeatmapView* heatmap = view_.heatmaps()[panel];
    redraw(heatmap);
    const int task = panel == 0 ? 0 : 2;
    return heatmap->cellAt(heatmap->pixelOf(task, 0)).value;
  };
  EXPECT_NEAR(copy_value(0), (0.85 + 0.55) / 2, 1e-6);  // the mean over layers
  EXPECT_NEAR(copy_value(1), (0.85 + 0.55) / 2, 1e-6);

  // The comparison's layer selector sets every panel's layer.
  QComboBox* layers = view_.layerCombo();
  layers->setCurrentIndex(layers->findData(QString::fromStdString(kOutput)));
  for (RoutingHeatmapView* heatmap : view_.heatmaps())
    EXPECT_EQ(heatmap->layer(), QString::fromStdString(kOutput));
  EXPECT_NEAR(copy_value(0), 0.55, 1e-6);
  EXPECT_NEAR(copy_value(1), 0.55, 1e-6);
  EXPECT_TRUE(view_.heatmaps()[1]
                  ->hoverText(view_.heatmaps()[1]->pixelOf(2, 0))
                  .contains(QString::fromStdString(kOutput)));

  // A layer set on one panel is forwarded to the others and to the selector.
  view_.heatmaps()[1]->setLayer(QString::fromStdString(kQuery));
  EXPECT_EQ(view_.heatmaps()[0]->layer(), QString::fromStdString(kQuery));
  EXPECT_EQ(layers->currentData().toString(), QString::fromStdString(kQuery));
  EXPECT_NEAR(copy_value(0), 0.85, 1e-6);
  EXPECT_NEAR(copy_value(1), 0.85, 1e-6);

  // The step slider moves every panel to the same snapshot.
  QSlider* steps = view_.stepSlider();
  ASSERT_EQ(steps->maximum(), 1);  // snapshots at steps 5 and 10
  steps->setValue(0);
  for (RoutingHeatmapView* heatmap : view_.heatmaps()) EXPECT_EQ(heatmap->currentStep(), 5);
  EXPECT_NEAR(copy_value(0), 0.40, 1e-6);
  EXPECT_NEAR(copy_value(1), 0.40, 1e-6);
  steps->setValue(1);
  for (RoutingHeatmapView* heatmap : view_.heatmaps()) EXPECT_EQ(heatmap->currentStep(), 10);
}

TEST_F(ComparisonOfSuites, AlignsSkillsOfReorderedSuitesOnTheTasksMatchedByName) {
  compare({{"a", {"copy", "reverse", "upper", "shift"}},
           {"b", {"shift", "upper", "copy", "reverse"}, {2, 0, 3, 1}},
           {"c", {"x", "y", "z", "w"}, {3, 2, 1, 0}}});
  view_.setLayer(QString::fromStdString(kQuery));
  // Pairing tasks by index would compare copy with shift, reverse with upper, ...
  EXPECT_EQ(view_.shownSkillOrder(1), (std::vector<int>{2, 0, 3, 1}));
  // A suite with no task in common is not aligned, and the note says why.
  EXPECT_EQ(view_.shownSkillOrder(2), (std::vector<int>{0, 1, 2, 3}));
  const QString note = view_.alignmentNote();
  EXPECT_TRUE(note.contains(QStringLiteral("4 of 4 task(s) matched by name")))
      << note.toStdString();
  EXPECT_TRUE(note.contains(QStringLiteral("no task in common"))) << note.toStdString();
}

TEST_F(ComparisonOfSuites, AHighlightedTaskIsSharedByNameWithPanelsCurvesAndTheWindow) {
  compare({{"a", {"copy", "reverse", "upper"}, {0, 1, 2}},
           {"b", {"upper", "copy", "reverse"}, {0, 1, 2}}});
  // The window's selection is indexed by the tasks of the run it shows.
  TaskSelection window;
  window.setTasks({{"reverse", {}}, {"copy", {}}, {"upper", {}}});
  view_.setTaskSelection(&window);
  const auto highlighted = [this](size_t panel) {
    return view_.heatmaps()[panel]->selection()->highlightedTask();
  };

  // A click on "reverse" (task 1 of run a) in the first panel.
  RoutingHeatmapView* first = view_.heatmaps()[0];
  redraw(first);
  QTest::mouseClick(first->plot(), Qt::LeftButton, Qt::NoModifier, first->pixelOf(1, 0));
  EXPECT_EQ(view_.highlightedTask(), QStringLiteral("reverse"));
  EXPECT_EQ(highlighted(0), 1);
  EXPECT_EQ(highlighted(1), 2);
  EXPECT_EQ(window.highlightedTask(), 0);
  EXPECT_EQ(view_.curveTaskCombo()->currentData().toString(), QStringLiteral("reverse"));

  // Highlighted in the window: every panel and the curves follow.
  window.setHighlightedTask(2);  // "upper"
  EXPECT_EQ(highlighted(0), 2);
  EXPECT_EQ(highlighted(1), 0);
  EXPECT_EQ(view_.curveTaskCombo()->currentData().toString(), QStringLiteral("upper"));

  // Chosen for the curves: highlighted everywhere; the mean clears the highlight.
  view_.curveTaskCombo()->setCurrentIndex(view_.curveTaskCombo()->findData("copy"));
  EXPECT_EQ(window.highlightedTask(), 1);
  EXPECT_EQ(highlighted(0), 0);
  EXPECT_EQ(highlighted(1), 1);
  view_.curveTaskCombo()->setCurrentIndex(0);
  EXPECT_EQ(window.highlightedTask(), -1);
  EXPECT_EQ(highlighted(0), -1);
  EXPECT_EQ(highlighted(1), -1);

  // Without sharing, the window no longer follows.
  view_.setTaskSelection(nullptr);
  view_.curveTaskCombo()->setCurrentIndex(view_.curveTaskCombo()->findData("copy"));
  EXPECT_EQ(highlighted(1), 1);
  EXPECT_EQ(window.highlightedTask(), -1);
}

}  // namespace
}  // namespace tensorpoly::ui
