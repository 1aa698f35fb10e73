// An alert's event as JSON: fields in order of first appearance, the values
// of a repeated field gathered into an array in their order.
#include "ariadne/report/alert.hpp"

#include <gtest/gtest.h>

namespace ariadne {
namespace {

TEST(EventJson, RepeatedFieldsBecomeArraysInFirstAppearanceOrder) {
  auto& names = field_names();
  // Interned in an order unlike the event's, so id order is not field order.
  field_id z = names.intern("zz.event_json"), a = names.intern("aa.event_json"), m = names.intern("mm.event_json");
  event_batch batch;
  event& ev = batch.begin_event(0, 1);
  batch.add_string(m, "first \"m\"");
  batch.add_value(z, value::make_int(1));
  batch.add_string(m, "C:\\x");
  batch.add_value(a, value::make_bool(true));
  batch.add_value(z, value::make_null());
  batch.add_value(m, value::make_double(2.5));
  batch.end_event();
  EXPECT_EQ(report::event_to_json(batch, ev),
            R"({"mm.event_json":["first \"m\"","C:\\x",2.5],"zz.event_json":[1,null],"aa.event_json":true})");
}

TEST(EventJson, EmptyEvent) {
  event_batch batch;
  event& ev = batch.begin_event(0, 1);
  batch.end_event();
  EXPECT_EQ(report::event_to_json(batch, ev), "{}");
}

}  // namespace
}  // namespace ariadne
