//! The syllabus file: day rules, duty rotation, categories, quotas, items,
//! leave and equipment outages, decoded with `line:column` diagnostics.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use chrono::{NaiveDate, NaiveTime};

use crate::brigade::Brigade;
use crate::diag::{Diagnostics, Severity, SourceMap};
use crate::duration::{DURATION_FORMS, Duration};
use crate::node::{self, Entry, Format, Node, Value};
use crate::scenario::closest_key;

const TOP_KEYS: &[&str] = &[
    "day",
    "duty",
    "categories",
    "quotas",
    "items",
    "leave",
    "outages",
];
const DAY_KEYS: &[&str] = &["start", "end", "rest", "max_per_day"];
const DUTY_KEYS: &[&str] = &[
    "cycle",
    "anchor",
    "change_at",
    "on_duty",
    "rest_after",
    "shift_leader",
];
const CATEGORY_KEYS: &[&str] = &["id", "name", "name_zh"];
const QUOTA_KEYS: &[&str] = &["category", "hours", "per"];
const ITEM_KEYS: &[&str] = &[
    "id",
    "name",
    "name_zh",
    "category",
    "rrule",
    "start",
    "length",
    "trains",
    "requires",
    "instructor",
    "instructor_level",
    "equipment",
    "group",
    "on_station",
    "squadrons",
];
const LEAVE_KEYS: &[&str] = &["member", "from", "to", "reason"];
const OUTAGE_KEYS: &[&str] = &["squadron", "equipment", "count", "from", "to", "reason"];
const GROUP_KEYS: &[&str] = &["min", "max"];

/// What an RRULE must look like; quoted in the error for a bad one.
pub const RRULE_FORMS: &str = "an RFC 5545 rule without DTSTART, e.g. \"FREQ=WEEKLY;BYDAY=MO,TH\", \"FREQ=DAILY\" or \"FREQ=MONTHLY;BYMONTHDAY=1,15\"";

/// A parsed syllabus: the rules the planner works to.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Syllabus {
    /// The training day's window and rest rules.
    pub day: DayRules,
    /// The duty rotation.
    pub duty: DutyRules,
    /// Training categories, in file order.
    pub categories: Vec<Category>,
    /// Hour quotas per member, per category, per period.
    pub quotas: Vec<Quota>,
    /// Syllabus items.
    pub items: Vec<Item>,
    /// Leave and other unavailability of members.
    pub leave: Vec<Leave>,
    /// Equipment out of service.
    pub outages: Vec<Outage>,
}

/// `[day]`: when training happens and how much a member may do.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct DayRules {
    /// Earliest start of a session, local time.
    pub start: NaiveTime,
    /// Latest end of a session, local time.
    pub end: NaiveTime,
    /// Minutes of rest a member has between two sessions.
    pub rest_minutes: u32,
    /// Most minutes of training a member does in a day.
    pub max_minutes_per_day: u32,
}

/// What the on-duty squadron may train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OnDuty {
    /// Only items marked `on_station = true`.
    Station,
    /// Nothing: the on-duty squadron does not train.
    None,
    /// Anything.
    Any,
}

/// `[duty]`: the rotation of 24-hour duty between squadrons.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct DutyRules {
    /// Squadron ids in the order they take duty, one shift each.
    pub cycle: Vec<String>,
    /// A date on which the first squadron of the cycle takes duty.
    pub anchor: NaiveDate,
    /// Local time at which duty changes hands.
    pub change_at: NaiveTime,
    /// What the on-duty squadron may train.
    pub on_duty: OnDuty,
    /// Minutes after coming off duty before a squadron trains again.
    pub rest_after_minutes: u32,
    /// One leader of the on-duty squadron stays out of training to lead the shift.
    pub shift_leader: bool,
}

/// A training category, e.g. `fire`, `water`, `fitness`.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Category {
    /// Stable id.
    pub id: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
}

/// A quota period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Period {
    /// Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
    /// A calendar quarter.
    Quarter,
    /// A calendar year.
    Year,
}

impl Period {
    /// The first day of the period that holds `day`.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        use chrono::Datelike;
        match self {
            Period::Week => {
                day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
            }
            Period::Month => day.with_day(1).unwrap_or(day),
            Period::Quarter => {
                let m = (day.month0() / 3) * 3 + 1;
                NaiveDate::from_ymd_opt(day.year(), m, 1).unwrap_or(day)
            }
            Period::Year => NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day),
        }
    }

    /// The first day of the next period after the one starting at `start`.
    pub fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Period::Week => start + chrono::Days::new(7),
            Period::Month => start + chrono::Months::new(1),
            Period::Quarter => start + chrono::Months::new(3),
            Period::Year => start + chrono::Months::new(12),
        }
    }

    /// `week`, `month`, `quarter` or `year`.
    pub fn name(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }
}

/// Every member should train `hours` in `category` each period.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Quota {
    /// The category id.
    pub category: String,
    /// Hours per member per period.
    pub hours: f64,
    /// The period.
    pub per: Period,
}

/// A syllabus item: a kind of session, when it recurs and what it needs.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Item {
    /// Stable id, e.g. `rope-rescue`.
    pub id: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// The category id.
    pub category: String,
    /// The recurrence rule text as written (RFC 5545).
    pub rrule: String,
    /// Fixed local start time; the planner chooses one when absent.
    pub start: Option<NaiveTime>,
    /// Session length in minutes.
    pub length_minutes: u32,
    /// The skill the session keeps current; members closest to expiry in it go first.
    pub trains: Option<String>,
    /// Skills every attendee must hold, current on the day.
    pub requires: Vec<String>,
    /// The skill the instructor must hold at `instructor_level`; none means no instructor.
    pub instructor: Option<String>,
    /// The instructor's least level, 1 to 3.
    pub instructor_level: u8,
    /// Equipment per session: item → count.
    pub equipment: BTreeMap<String, u32>,
    /// Fewest attendees for the session to run.
    pub group_min: u32,
    /// Most attendees.
    pub group_max: u32,
    /// The item can be trained on station by the on-duty squadron.
    pub on_station: bool,
    /// Squadrons that hold the item; all when empty.
    pub squadrons: Vec<String>,
}

/// A member away from `from` to `to`, both days included.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Leave {
    /// Member id.
    pub member: String,
    /// First day away.
    pub from: NaiveDate,
    /// Last day away.
    pub to: NaiveDate,
    /// Why, as shown in explanations.
    pub reason: String,
}

/// Equipment of a squadron out of service from `from` to `to`, both included.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Outage {
    /// Squadron id.
    pub squadron: String,
    /// Equipment id.
    pub equipment: String,
    /// How many are out.
    pub count: u32,
    /// First day out.
    pub from: NaiveDate,
    /// Last day out.
    pub to: NaiveDate,
    /// Why, as shown in explanations.
    pub reason: String,
}

impl Syllabus {
    /// Parses a syllabus file (TOML) and checks it against the brigade: every
    /// squadron, member and category it names must exist, every RRULE must
    /// parse, times are `HH:MM`, lengths are durations.
    ///
    /// Returns every problem found, each with its line and column.
    pub fn parse(name: &str, text: &str, brigade: &Brigade) -> Result<Syllabus, Diagnostics> {
        let map = SourceMap::new(name, text);
        let mut d = Decoder {
            map: &map,
            diags: Diagnostics::default(),
            brigade,
        };
        let out = node::parse(&map, text, Format::Toml, &mut d.diags).and_then(|root| d.top(&root));
        d.diags.sort();
        match out {
            Some(s) if !d.diags.has_errors() => Ok(s),
            _ => Err(d.diags),
        }
    }

    /// The category with this id.
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The item with this id.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }
}

/// Parses an RRULE text into the `rrule` crate's form, or says why not.
pub(crate) fn parse_rrule(text: &str) -> Result<rrule::RRule<rrule::Unvalidated>, String> {
    let body = text.trim();
    let body = body.strip_prefix("RRULE:").unwrap_or(body);
    if body.to_ascii_uppercase().contains("DTSTART") {
        return Err("DTSTART is set by the planner from the plan's dates".to_string());
    }
    let rule: rrule::RRule<rrule::Unvalidated> = body.parse().map_err(|e| format!("{e}"))?;
    // Validate against a fixed start so rule-level errors show at parse time.
    let start = chrono::TimeZone::with_ymd_and_hms(&rrule::Tz::UTC, 2027, 1, 1, 0, 0, 0)
        .single()
        .ok_or_else(|| "cannot fix a start date".to_string())?;
    rule.clone().validate(start).map_err(|e| format!("{e}"))?;
    Ok(rule)
}

struct Decoder<'m> {
    map: &'m SourceMap<'m>,
    diags: Diagnostics,
    brigade: &'m Brigade,
}

fn field<'e>(entries: &'e [Entry], key: &str) -> Option<&'e Entry> {
    entries.iter().find(|e| e.key == key)
}

impl Decoder<'_> {
    fn err(&mut self, span: &Range<usize>, msg: impl Into<String>) {
        let d = self.map.diag(Severity::Error, span, None, msg);
        self.diags.push(d);
    }

    fn table<'n>(&mut self, node: &'n Node, what: &str, keys: &[&str]) -> Option<&'n [Entry]> {
        match &node.value {
            Value::Table(entries) => {
                for e in entries {
                    if !keys.contains(&e.key.as_str()) {
                        let msg = match closest_key(&e.key, keys) {
                            Some(k) => {
                                format!("unknown key `{}` in {what}; did you mean `{k}`?", e.key)
                            }
                            None => format!(
                                "unknown key `{}` in {what}; the keys are: {}",
                                e.key,
                                keys.join(", ")
                            ),
                        };
                        self.err(&e.key_span, msg);
                    }
                }
                Some(entries)
            }
            other => {
                self.err(
                    &node.span,
                    format!("{what} must be a table, found {}", other.kind()),
                );
                None
            }
        }
    }

    fn list<'n>(&mut self, entry: Option<&'n Entry>) -> &'n [Node] {
        match entry {
            None => &[],
            Some(e) => match &e.node.value {
                Value::Array(items) => items,
                other => {
                    let msg = format!(
                        "`{}` must be a list of tables, found {}",
                        e.key,
                        other.kind()
                    );
                    self.err(&e.node.span, msg);
                    &[]
                }
            },
        }
    }

    fn string(
        &mut self,
        entries: &[Entry],
        key: &str,
        whole: &Range<usize>,
        what: &str,
    ) -> Option<String> {
        match field(entries, key) {
            None => {
                self.err(whole, format!("{what} needs `{key}`"));
                None
            }
            Some(e) => self.as_string(e),
        }
    }

    fn opt_string(&mut self, entries: &[Entry], key: &str) -> Option<String> {
        field(entries, key).and_then(|e| self.as_string(e))
    }

    fn as_string(&mut self, e: &Entry) -> Option<String> {
        match &e.node.value {
            Value::Str(s) => Some(s.clone()),
            other => {
                let msg = format!("`{}` must be a string, found {}", e.key, other.kind());
                self.err(&e.node.span, msg);
                None
            }
        }
    }

    fn strings(&mut self, entries: &[Entry], key: &str) -> Vec<(String, Range<usize>)> {
        let Some(e) = field(entries, key) else {
            return Vec::new();
        };
        match &e.node.value {
            Value::Array(items) => {
                let mut out = Vec::new();
                for n in items {
                    match &n.value {
                        Value::Str(s) => out.push((s.clone(), n.span.clone())),
                        other => self.err(
                            &n.span,
                            format!("`{key}` must list strings, found {}", other.kind()),
                        ),
                    }
                }
                out
            }
            other => {
                self.err(
                    &e.node.span,
                    format!("`{key}` must be a list of strings, found {}", other.kind()),
                );
                Vec::new()
            }
        }
    }

    fn int(&mut self, entries: &[Entry], key: &str, range: (i64, i64), default: i64) -> i64 {
        let Some(e) = field(entries, key) else {
            return default;
        };
        match &e.node.value {
            Value::Int(i) if (range.0..=range.1).contains(i) => *i,
            Value::Int(i) => {
                self.err(
                    &e.node.span,
                    format!("`{key}` is {i}; it must be from {} to {}", range.0, range.1),
                );
                default
            }
            other => {
                self.err(
                    &e.node.span,
                    format!("`{key}` must be a whole number, found {}", other.kind()),
                );
                default
            }
        }
    }

    fn boolean(&mut self, entries: &[Entry], key: &str, default: bool) -> bool {
        match field(entries, key) {
            None => default,
            Some(Entry {
                node:
                    Node {
                        value: Value::Bool(b),
                        ..
                    },
                ..
            }) => *b,
            Some(e) => {
                let msg = format!(
                    "`{key}` must be true or false, found {}",
                    e.node.value.kind()
                );
                self.err(&e.node.span, msg);
                default
            }
        }
    }

    fn date(
        &mut self,
        entries: &[Entry],
        key: &str,
        whole: &Range<usize>,
        what: &str,
    ) -> Option<NaiveDate> {
        let Some(e) = field(entries, key) else {
            self.err(whole, format!("{what} needs `{key}`"));
            return None;
        };
        let text = match &e.node.value {
            Value::Str(s) | Value::Datetime(s) => s.as_str(),
            _ => "",
        };
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let shown = match &e.node.value {
                    Value::Str(s) | Value::Datetime(s) => format!("\"{s}\""),
                    other => other.kind().to_string(),
                };
                self.err(
                    &e.node.span,
                    format!("`{key}` is {shown}; write a date as YYYY-MM-DD, e.g. 2027-03-01"),
                );
                None
            }
        }
    }

    fn time(&mut self, e: &Entry) -> Option<NaiveTime> {
        let text = match &e.node.value {
            Value::Str(s) => s.as_str(),
            _ => "",
        };
        match NaiveTime::parse_from_str(text, "%H:%M") {
            Ok(t) => Some(t),
            Err(_) => {
                let shown = match &e.node.value {
                    Value::Str(s) => format!("\"{s}\""),
                    other => other.kind().to_string(),
                };
                self.err(&e.node.span, format!("`{}` is {shown}; write a local time as \"HH:MM\" from \"00:00\" to \"23:59\", e.g. \"08:30\"", e.key));
                None
            }
        }
    }

    fn minutes(&mut self, e: &Entry, max_minutes: u32) -> Option<u32> {
        let text = match &e.node.value {
            Value::Str(s) => s.as_str(),
            _ => "",
        };
        match Duration::parse(text) {
            Ok(d)
                if d.as_secs() > 0
                    && d.as_secs() % 60 == 0
                    && d.as_secs() / 60 <= u64::from(max_minutes) =>
            {
                Some((d.as_secs() / 60) as u32)
            }
            _ => {
                let shown = match &e.node.value {
                    Value::Str(s) => format!("\"{s}\""),
                    other => other.kind().to_string(),
                };
                self.err(
                    &e.node.span,
                    format!(
                        "`{}` is {shown}; write whole minutes from 1m to {}h as {DURATION_FORMS}",
                        e.key,
                        max_minutes / 60
                    ),
                );
                None
            }
        }
    }

    fn squadron_ref(&mut self, id: &str, span: &Range<usize>) -> bool {
        if self.brigade.squadron(id).is_some() {
            return true;
        }
        let known: Vec<&str> = self
            .brigade
            .squadrons
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        let msg = match closest_key(id, &known) {
            Some(k) => format!("unknown squadron `{id}`; did you mean `{k}`?"),
            None => format!(
                "unknown squadron `{id}`; the squadrons are: {}",
                known.join(", ")
            ),
        };
        self.err(span, msg);
        false
    }

    fn top(&mut self, root: &Node) -> Option<Syllabus> {
        let entries = self.table(root, "the syllabus file", TOP_KEYS)?;
        let day = self.day(field(entries, "day"));
        let duty = self.duty(field(entries, "duty"), &root.span);
        let mut categories = Vec::new();
        for n in self.list(field(entries, "categories")) {
            if let Some(c) = self.category(n) {
                if categories.iter().any(|x: &Category| x.id == c.id) {
                    self.err(&n.span, format!("duplicate category id `{}`", c.id));
                }
                categories.push(c);
            }
        }
        let cat_ids: Vec<String> = categories.iter().map(|c| c.id.clone()).collect();
        let mut quotas = Vec::new();
        for n in self.list(field(entries, "quotas")) {
            if let Some(q) = self.quota(n, &cat_ids) {
                quotas.push(q);
            }
        }
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        for n in self.list(field(entries, "items")) {
            if let Some(i) = self.item(n, &cat_ids, &day) {
                if !seen.insert(i.id.clone()) {
                    self.err(&n.span, format!("duplicate item id `{}`", i.id));
                }
                items.push(i);
            }
        }
        let mut leave = Vec::new();
        for n in self.list(field(entries, "leave")) {
            if let Some(l) = self.leave(n) {
                leave.push(l);
            }
        }
        let mut outages = Vec::new();
        for n in self.list(field(entries, "outages")) {
            if let Some(o) = self.outage(n) {
                outages.push(o);
            }
        }
        Some(Syllabus {
            day: day?,
            duty: duty?,
            categories,
            quotas,
            items,
            leave,
            outages,
        })
    }

    fn day(&mut self, e: Option<&Entry>) -> Option<DayRules> {
        let default = DayRules {
            start: NaiveTime::from_hms_opt(8, 30, 0)?,
            end: NaiveTime::from_hms_opt(17, 30, 0)?,
            rest_minutes: 30,
            max_minutes_per_day: 360,
        };
        let Some(e) = e else {
            return Some(default);
        };
        let entries = self.table(&e.node, "[day]", DAY_KEYS)?;
        let start = match field(entries, "start") {
            Some(x) => self.time(x)?,
            None => default.start,
        };
        let end = match field(entries, "end") {
            Some(x) => self.time(x)?,
            None => default.end,
        };
        if end <= start {
            let span = field(entries, "end").map_or(e.node.span.clone(), |x| x.node.span.clone());
            self.err(
                &span,
                format!(
                    "the day ends at {} before it starts at {}; `end` must be later than `start`",
                    end.format("%H:%M"),
                    start.format("%H:%M")
                ),
            );
            return None;
        }
        let rest = match field(entries, "rest") {
            Some(x) => self.minutes(x, 24 * 60)?,
            None => default.rest_minutes,
        };
        let max = match field(entries, "max_per_day") {
            Some(x) => self.minutes(x, 24 * 60)?,
            None => default.max_minutes_per_day,
        };
        Some(DayRules {
            start,
            end,
            rest_minutes: rest,
            max_minutes_per_day: max,
        })
    }

    fn duty(&mut self, e: Option<&Entry>, whole: &Range<usize>) -> Option<DutyRules> {
        let Some(e) = e else {
            self.err(whole, "the syllabus needs a [duty] table: `cycle` (squadrons in the order they take duty) and `anchor` (a date the first takes duty)");
            return None;
        };
        let entries = self.table(&e.node, "[duty]", DUTY_KEYS)?;
        let mut cycle = Vec::new();
        for (s, span) in self.strings(entries, "cycle") {
            if self.squadron_ref(&s, &span) {
                cycle.push(s);
            }
        }
        if field(entries, "cycle").is_none() || cycle.is_empty() && !self.diags.has_errors() {
            self.err(&e.node.span, "[duty] needs `cycle`: the squadrons in the order they take duty, e.g. [\"nantang\", \"wuyun\", \"wangmudu\"]");
        }
        let anchor = self.date(entries, "anchor", &e.node.span, "[duty]");
        let change_at = match field(entries, "change_at") {
            Some(x) => self.time(x),
            None => NaiveTime::from_hms_opt(8, 0, 0),
        };
        let on_duty = match field(entries, "on_duty") {
            None => Some(OnDuty::Station),
            Some(x) => match self.as_string(x).as_deref() {
                Some("station") => Some(OnDuty::Station),
                Some("none") => Some(OnDuty::None),
                Some("any") => Some(OnDuty::Any),
                Some(other) => {
                    self.err(&x.node.span, format!("`on_duty` is \"{other}\"; write \"station\" (on-duty squadron trains on station items only), \"none\" or \"any\""));
                    None
                }
                None => None,
            },
        };
        let rest_after = match field(entries, "rest_after") {
            Some(x) => self.minutes(x, 24 * 60),
            None => Some(0),
        };
        let shift_leader = self.boolean(entries, "shift_leader", true);
        Some(DutyRules {
            cycle,
            anchor: anchor?,
            change_at: change_at?,
            on_duty: on_duty?,
            rest_after_minutes: rest_after?,
            shift_leader,
        })
    }

    fn category(&mut self, n: &Node) -> Option<Category> {
        let entries = self.table(n, "a [[categories]] table", CATEGORY_KEYS)?;
        let id = self.string(entries, "id", &n.span, "a category");
        let name = self.opt_string(entries, "name");
        let name_zh = self.opt_string(entries, "name_zh");
        let id = id?;
        Some(Category {
            name: name.unwrap_or_else(|| id.clone()),
            id,
            name_zh,
        })
    }

    fn category_ref(
        &mut self,
        entries: &[Entry],
        whole: &Range<usize>,
        what: &str,
        cats: &[String],
    ) -> Option<String> {
        let c = self.string(entries, "category", whole, what)?;
        if cats.contains(&c) {
            return Some(c);
        }
        let span = field(entries, "category").map_or(whole.clone(), |e| e.node.span.clone());
        let known: Vec<&str> = cats.iter().map(String::as_str).collect();
        let msg = match closest_key(&c, &known) {
            Some(k) => format!("{what} refers to unknown category `{c}`; did you mean `{k}`?"),
            None if known.is_empty() => format!(
                "{what} refers to unknown category `{c}`; declare it in a [[categories]] table"
            ),
            None => format!(
                "{what} refers to unknown category `{c}`; the categories are: {}",
                known.join(", ")
            ),
        };
        self.err(&span, msg);
        None
    }

    fn quota(&mut self, n: &Node, cats: &[String]) -> Option<Quota> {
        let entries = self.table(n, "a [[quotas]] table", QUOTA_KEYS)?;
        let category = self.category_ref(entries, &n.span, "a quota", cats);
        let hours = match field(entries, "hours") {
            Some(Entry {
                node:
                    Node {
                        value: Value::Int(i),
                        ..
                    },
                ..
            }) if (0..=2000).contains(i) => Some(*i as f64),
            Some(Entry {
                node:
                    Node {
                        value: Value::Float(f),
                        ..
                    },
                ..
            }) if (0.0..=2000.0).contains(f) => Some(*f),
            Some(e) => {
                self.err(
                    &e.node.span,
                    "`hours` must be a number of hours from 0 to 2000, e.g. 8 or 1.5",
                );
                None
            }
            None => {
                self.err(&n.span, "a quota needs `hours`");
                None
            }
        };
        let per = match field(entries, "per") {
            None => {
                self.err(
                    &n.span,
                    "a quota needs `per`: \"week\", \"month\", \"quarter\" or \"year\"",
                );
                None
            }
            Some(e) => match self.as_string(e).as_deref() {
                Some("week") => Some(Period::Week),
                Some("month") => Some(Period::Month),
                Some("quarter") => Some(Period::Quarter),
                Some("year") => Some(Period::Year),
                Some(other) => {
                    self.err(&e.node.span, format!("`per` is \"{other}\"; write \"week\", \"month\", \"quarter\" or \"year\""));
                    None
                }
                None => None,
            },
        };
        Some(Quota {
            category: category?,
            hours: hours?,
            per: per?,
        })
    }

    fn item(&mut self, n: &Node, cats: &[String], day: &Option<DayRules>) -> Option<Item> {
        let entries = self.table(n, "an [[items]] table", ITEM_KEYS)?;
        let id = self.string(entries, "id", &n.span, "an item");
        let name = self.opt_string(entries, "name");
        let name_zh = self.opt_string(entries, "name_zh");
        let category = self.category_ref(entries, &n.span, "an item", cats);
        let rrule = match field(entries, "rrule") {
            None => {
                self.err(&n.span, format!("an item needs `rrule`: {RRULE_FORMS}"));
                None
            }
            Some(e) => {
                let text = self.as_string(e)?;
                match parse_rrule(&text) {
                    Ok(_) => Some(text),
                    Err(why) => {
                        self.err(
                            &e.node.span,
                            format!("bad RRULE \"{text}\": {why}; write {RRULE_FORMS}"),
                        );
                        None
                    }
                }
            }
        };
        let start = match field(entries, "start") {
            Some(e) => Some(self.time(e)?),
            None => None,
        };
        let length = match field(entries, "length") {
            Some(e) => self.minutes(e, 12 * 60),
            None => {
                self.err(&n.span, "an item needs `length`, e.g. \"2h\" or \"90m\"");
                None
            }
        };
        if let (Some(day), Some(len)) = (day, length) {
            let window = (day.end - day.start).num_minutes();
            let from = start.unwrap_or(day.start);
            let fits = start.is_none_or(|s| s >= day.start)
                && (day.end - from).num_minutes() >= i64::from(len);
            if !fits {
                let span = field(entries, "start")
                    .or(field(entries, "length"))
                    .map_or(n.span.clone(), |e| e.node.span.clone());
                self.err(&span, format!(
                    "the session ({len} minutes from {}) does not fit in the training day {}–{} ({window} minutes)",
                    from.format("%H:%M"), day.start.format("%H:%M"), day.end.format("%H:%M")
                ));
            }
        }
        let trains = self.opt_string(entries, "trains");
        let requires = self
            .strings(entries, "requires")
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let instructor = self.opt_string(entries, "instructor");
        let instructor_level = self.int(entries, "instructor_level", (1, 3), 3) as u8;
        let mut equipment = BTreeMap::new();
        if let Some(e) = field(entries, "equipment") {
            match &e.node.value {
                Value::Table(kv) => {
                    for x in kv {
                        match &x.node.value {
                            Value::Int(c) if (1..=1000).contains(c) => {
                                equipment.insert(x.key.clone(), *c as u32);
                            }
                            _ => self.err(
                                &x.node.span,
                                format!("equipment `{}` needs a count from 1 to 1000", x.key),
                            ),
                        }
                    }
                }
                other => self.err(
                    &e.node.span,
                    format!(
                        "`equipment` must be a table of item = count, found {}",
                        other.kind()
                    ),
                ),
            }
        }
        let (mut gmin, mut gmax) = (1, 12);
        if let Some(e) = field(entries, "group")
            && let Some(g) = self.table(&e.node, "`group`", GROUP_KEYS)
        {
            gmin = self.int(g, "min", (1, 200), 1);
            gmax = self.int(g, "max", (1, 200), 12);
            if gmax < gmin {
                self.err(
                    &e.node.span,
                    format!("group max {gmax} is less than min {gmin}"),
                );
            }
        }
        let on_station = self.boolean(entries, "on_station", false);
        let mut squadrons = Vec::new();
        for (s, span) in self.strings(entries, "squadrons") {
            if self.squadron_ref(&s, &span) {
                squadrons.push(s);
            }
        }
        let id = id?;
        Some(Item {
            name: name.unwrap_or_else(|| id.clone()),
            id,
            name_zh,
            category: category?,
            rrule: rrule?,
            start,
            length_minutes: length?,
            trains,
            requires,
            instructor,
            instructor_level,
            equipment,
            group_min: gmin as u32,
            group_max: gmax as u32,
            on_station,
            squadrons,
        })
    }

    fn leave(&mut self, n: &Node) -> Option<Leave> {
        let entries = self.table(n, "a [[leave]] table", LEAVE_KEYS)?;
        let member = self.string(entries, "member", &n.span, "leave");
        if let Some(m) = &member
            && self.brigade.member(m).is_none()
        {
            let span = field(entries, "member").map_or(n.span.clone(), |e| e.node.span.clone());
            self.err(
                &span,
                format!(
                    "leave for unknown member `{m}`; member ids are in the brigade file, e.g. `{}`",
                    self.brigade
                        .members
                        .first()
                        .map_or("m001", |x| x.id.as_str())
                ),
            );
        }
        let from = self.date(entries, "from", &n.span, "leave");
        let to = self.date(entries, "to", &n.span, "leave");
        let reason = self
            .opt_string(entries, "reason")
            .unwrap_or_else(|| "leave".to_string());
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            self.err(
                &n.span,
                format!("leave ends on {t} before it starts on {f}"),
            );
            return None;
        }
        Some(Leave {
            member: member?,
            from: from?,
            to: to?,
            reason,
        })
    }

    fn outage(&mut self, n: &Node) -> Option<Outage> {
        let entries = self.table(n, "an [[outages]] table", OUTAGE_KEYS)?;
        let squadron = self.string(entries, "squadron", &n.span, "an outage");
        if let Some(s) = &squadron {
            let span = field(entries, "squadron").map_or(n.span.clone(), |e| e.node.span.clone());
            self.squadron_ref(s, &span);
        }
        let equipment = self.string(entries, "equipment", &n.span, "an outage");
        let count = self.int(entries, "count", (1, 1000), 1) as u32;
        let from = self.date(entries, "from", &n.span, "an outage");
        let to = self.date(entries, "to", &n.span, "an outage");
        let reason = self
            .opt_string(entries, "reason")
            .unwrap_or_else(|| "out of service".to_string());
        Some(Outage {
            squadron: squadron?,
            equipment: equipment?,
            count,
            from: from?,
            to: to?,
            reason,
        })
    }
}
