//! The brigade: squadrons, members, their skills and qualifications, and
//! each squadron's equipment pool.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;

use crate::diag::{Diagnostics, Severity, SourceMap};

/// A brigade: its squadrons and members.
///
/// Built by [`Brigade::parse`], which checks every reference.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Brigade {
    /// The brigade's details.
    pub brigade: BrigadeInfo,
    /// The squadrons, in file order.
    #[serde(default)]
    pub squadrons: Vec<Squadron>,
    /// The members, in file order.
    #[serde(default)]
    pub members: Vec<Member>,
}

/// The `[brigade]` table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BrigadeInfo {
    /// Stable id.
    pub id: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// IANA time zone of the brigade, e.g. `Asia/Shanghai`.
    pub time_zone: String,
}

/// A squadron and its equipment pool.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Squadron {
    /// Stable id, e.g. `nantang`.
    pub id: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// Equipment item → how many the squadron holds.
    #[serde(default)]
    pub equipment: BTreeMap<String, u32>,
}

/// A member of the brigade.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Member {
    /// Stable id, e.g. `m001`.
    pub id: String,
    /// Name as shown.
    pub name: String,
    /// The squadron id.
    pub squadron: String,
    /// The member's one speciality (a skill id), "one speciality, many skills".
    pub speciality: String,
    /// Leader of a shift or squad.
    #[serde(default)]
    pub leader: bool,
    /// Skills and qualifications, the speciality among them.
    #[serde(default)]
    pub skills: Vec<SkillLevel>,
}

/// A skill a member holds, at a level, current until a date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SkillLevel {
    /// The skill id, e.g. `wind-extinguisher`.
    pub skill: String,
    /// 1 (basic) to 3 (instructor).
    pub level: u8,
    /// The last day the qualification is current (`"2027-01-31"`); none for skills that do not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
}

impl SkillLevel {
    /// True when the qualification is current on `day`.
    pub fn is_current(&self, day: NaiveDate) -> bool {
        self.valid_until.is_none_or(|until| day <= until)
    }
}

impl Member {
    /// The member's level in `skill` if it is current on `day`.
    pub fn current_level(&self, skill: &str, day: NaiveDate) -> Option<u8> {
        self.skills
            .iter()
            .find(|s| s.skill == skill && s.is_current(day))
            .map(|s| s.level)
    }
}

impl Brigade {
    /// Parses a brigade file (TOML) and checks it: unique squadron and member
    /// ids, every member in a known squadron, skill levels 1 to 3, the
    /// speciality among the member's skills, a known time zone name shape.
    ///
    /// Returns every problem found, each with its line and column.
    pub fn parse(name: &str, text: &str) -> Result<Brigade, Diagnostics> {
        let map = SourceMap::new(name, text);
        let mut diags = Diagnostics::default();
        let brigade: Brigade = match toml::from_str(text) {
            Ok(b) => b,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let msg = e.message().trim().trim_end_matches('.').to_string();
                diags.push(map.diag(Severity::Error, &span, None, msg));
                return Err(diags);
            }
        };
        let spans = KeySpans::new(text);
        let mut err = |needle: &str, message: String| {
            let span = spans.find(needle);
            diags.push(map.diag(Severity::Error, &span, None, message));
        };
        if !brigade.brigade.time_zone.contains('/') {
            err(
                &brigade.brigade.time_zone,
                format!(
                    "time_zone \"{}\" is not an IANA zone name; write e.g. \"Asia/Shanghai\"",
                    brigade.brigade.time_zone
                ),
            );
        }
        let mut squadrons = HashSet::new();
        for s in &brigade.squadrons {
            if !squadrons.insert(s.id.as_str()) {
                err(&s.id, format!("duplicate squadron id `{}`", s.id));
            }
        }
        let mut members = HashSet::new();
        for m in &brigade.members {
            if !members.insert(m.id.as_str()) {
                err(&m.id, format!("duplicate member id `{}`", m.id));
            }
            if !squadrons.contains(m.squadron.as_str()) {
                let known: Vec<&str> = brigade.squadrons.iter().map(|s| s.id.as_str()).collect();
                err(
                    &m.id,
                    format!(
                        "member `{}` is in unknown squadron `{}`; the squadrons are: {}",
                        m.id,
                        m.squadron,
                        known.join(", ")
                    ),
                );
            }
            for s in &m.skills {
                if !(1..=3).contains(&s.level) {
                    err(
                        &m.id,
                        format!(
                            "member `{}`: skill `{}` has level {}; levels run from 1 (basic) to 3 (instructor)",
                            m.id, s.skill, s.level
                        ),
                    );
                }
            }
            if !m.skills.iter().any(|s| s.skill == m.speciality) {
                err(
                    &m.id,
                    format!(
                        "member `{}`: speciality `{}` is not among the member's skills; add it to `skills`",
                        m.id, m.speciality
                    ),
                );
            }
        }
        diags.sort();
        if diags.is_empty() {
            Ok(brigade)
        } else {
            Err(diags)
        }
    }

    /// The member with this id.
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// The squadron with this id.
    pub fn squadron(&self, id: &str) -> Option<&Squadron> {
        self.squadrons.iter().find(|s| s.id == id)
    }

    /// The members of a squadron, in file order.
    pub fn members_of<'a>(&'a self, squadron: &'a str) -> impl Iterator<Item = &'a Member> + 'a {
        self.members.iter().filter(move |m| m.squadron == squadron)
    }
}

/// Finds where an id's value is written (`id = "x"`), for locating semantic errors.
struct KeySpans<'a> {
    text: &'a str,
}

impl<'a> KeySpans<'a> {
    fn new(text: &'a str) -> Self {
        KeySpans { text }
    }

    fn find(&self, value: &str) -> std::ops::Range<usize> {
        let quoted = format!("\"{value}\"");
        self.text
            .find(&format!("id = {quoted}"))
            .map(|i| i + 5)
            .or_else(|| self.text.find(&quoted))
            .map_or(0..0, |i| i..i + quoted.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Diagnostic;

    const GOOD: &str = r#"
[brigade]
id = "b"
name = "B"
time_zone = "Asia/Shanghai"

[[squadrons]]
id = "nantang"
name = "Nantang"
equipment = { wind-extinguisher = 20 }

[[members]]
id = "m001"
name = "Member One"
squadron = "nantang"
speciality = "wind-extinguisher"
skills = [{ skill = "wind-extinguisher", level = 2, valid_until = "2027-01-31" }]
"#;

    fn messages(text: &str) -> Vec<String> {
        Brigade::parse("b.toml", text)
            .unwrap_err()
            .iter()
            .map(Diagnostic::to_string)
            .collect()
    }

    #[test]
    fn parses_and_answers() {
        let b = Brigade::parse("b.toml", GOOD).unwrap();
        let day = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
        assert_eq!(
            b.member("m001")
                .unwrap()
                .current_level("wind-extinguisher", day),
            Some(2)
        );
        let after = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
        assert_eq!(
            b.member("m001")
                .unwrap()
                .current_level("wind-extinguisher", after),
            None
        );
        assert_eq!(b.members_of("nantang").count(), 1);
    }

    #[test]
    fn reports_every_problem() {
        let bad = GOOD
            .replace("squadron = \"nantang\"", "squadron = \"wuyun\"")
            .replace("level = 2", "level = 5");
        assert_eq!(
            messages(&bad),
            [
                "b.toml:13:6: error: member `m001` is in unknown squadron `wuyun`; the squadrons are: nantang",
                "b.toml:13:6: error: member `m001`: skill `wind-extinguisher` has level 5; levels run from 1 (basic) to 3 (instructor)",
            ]
        );
        let typo = GOOD.replace("speciality", "specialty");
        assert_eq!(messages(&typo).len(), 1);
        assert!(
            messages(&typo)[0].starts_with("b.toml:16:1: error: unknown field `specialty`"),
            "{:?}",
            messages(&typo)
        );
    }
}
