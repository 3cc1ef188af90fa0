#include "exec/trigger_schedule.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using std::chrono::milliseconds;
const TriggerSchedule::Clock::time_point kT0{};

// A trigger from start_ms to end_ms after kT0: the interval it reports.
int64_t Trigger(TriggerSchedule& s, int64_t start_ms, int64_t end_ms, bool may_fall_behind = true) {
  s.TriggerStarted(kT0 + milliseconds(start_ms));
  return s.TriggerEnded(kT0 + milliseconds(end_ms), may_fall_behind);
}

// A schedule of 1 s whose first trigger, from 1 s to 2.5 s, ran over its interval.
TriggerSchedule AfterALongTrigger(bool may_fall_behind = true) {
  TriggerSchedule s(1'000);
  s.Start(kT0);
  Trigger(s, 1'000, 2'500, may_fall_behind);
  return s;
}

TEST(TriggerScheduleTest, ShortTriggersKeepThePaceFromTheirStarts) {
  TriggerSchedule s(1'000);
  s.Start(kT0);
  EXPECT_FALSE(s.Due(kT0 + milliseconds(999)));
  EXPECT_EQ(s.UntilDue(kT0 + milliseconds(400)), milliseconds(600));
  ASSERT_TRUE(s.Due(kT0 + milliseconds(1'000)));
  // The interval it reports runs from the start of the run (the end of no trigger) to its end.
  EXPECT_EQ(Trigger(s, 1'000, 1'300), 1'300);
  EXPECT_FALSE(s.behind());
  EXPECT_FALSE(s.Due(kT0 + milliseconds(1'999)));
  EXPECT_TRUE(s.Due(kT0 + milliseconds(2'000)));  // from its start, not its end
  EXPECT_EQ(Trigger(s, 2'000, 2'100), 800);
}

TEST(TriggerScheduleTest, ATriggerOverItsIntervalStartsTheNextWhereItEnded) {
  TriggerSchedule s(1'000);
  s.Start(kT0);
  EXPECT_EQ(Trigger(s, 1'000, 2'500), 2'500);
  EXPECT_TRUE(s.behind());
  EXPECT_FALSE(s.Due(kT0 + milliseconds(3'499)));
  EXPECT_TRUE(s.Due(kT0 + milliseconds(3'500)));
  // A short trigger after it: the pace is kept from starts again.
  EXPECT_EQ(Trigger(s, 3'500, 3'600), 1'100);
  EXPECT_FALSE(s.behind());
  EXPECT_TRUE(s.Due(kT0 + milliseconds(4'500)));
}

TEST(TriggerScheduleTest, WithoutFallingBehindALongTriggerKeepsThePace) {
  // Available-now in group mode: its end is only seen at a trigger.
  TriggerSchedule s = AfterALongTrigger(/*may_fall_behind=*/false);
  EXPECT_FALSE(s.behind());
  EXPECT_TRUE(s.Due(kT0 + milliseconds(2'500)));
}

TEST(TriggerScheduleTest, AnIntervalWithoutRecordsRestartsBothIntervals) {
  TriggerSchedule s = AfterALongTrigger();
  ASSERT_TRUE(s.behind());
  s.Restart(kT0 + milliseconds(3'500));
  EXPECT_FALSE(s.behind());
  EXPECT_FALSE(s.Due(kT0 + milliseconds(4'499)));
  EXPECT_EQ(Trigger(s, 4'500, 4'600), 1'100);
}

TEST(TriggerScheduleTest, AZeroIntervalIsAlwaysDueAndNeverBehind) {
  TriggerSchedule s(0);
  s.Start(kT0);
  EXPECT_TRUE(s.Due(kT0));
  Trigger(s, 0, 5'000);
  EXPECT_FALSE(s.behind());
  EXPECT_TRUE(s.Due(kT0 + milliseconds(5'000)));
}

}  // namespace
}  // namespace sluice
