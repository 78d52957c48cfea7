/* Exercises the whole C surface of Muster: every function, its success path,
 * and its error paths (NULLs, bad input), checking codes and messages.
 * Usage: surface LEDGER_PATH. Prints "N passed, 0 failed" and exits 0, or
 * names each failed check and exits 1. Run under valgrind by the tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muster.h"

static int passed, failed;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", \
                    __FILE__, __LINE__, #cond, last_error());              \
        }                                                                  \
    } while (0)

#define S(lit) lit, strlen(lit)

static char message[4096];

static const char *last_error(void) {
    size_t n = 0;
    if (muster_error_message(message, sizeof message, &n) != MUSTER_OK) {
        return "<message cut or unavailable>";
    }
    return message;
}

static int error_contains(const char *needle) {
    return strstr(last_error(), needle) != NULL;
}

static const char *BAD_SCENARIO =
    "[scenario]\n"
    "id = \"bad\"\n"
    "version = \"1.0.0\"\n"
    "name = \"Bad\"\n"
    "hazard = \"forest-fire\"\n"
    "\n"
    "[[tasks]]\n"
    "id = \"a\"\n"
    "name = \"A\"\n"
    "duration = \"5m\"\n"
    "after = [\"nowhere\"]\n";

static void scenarios(void) {
    muster_scenario *s = NULL;
    char *json = NULL;
    size_t len = 0;

    /* A bad file: load fails with every diagnostic at file:line:col. */
    CHECK(muster_scenario_from_text(S("bad.toml"), S(BAD_SCENARIO), &s) ==
          MUSTER_INVALID_INPUT);
    CHECK(s == NULL); /* outputs written only on success */
    CHECK(error_contains("bad.toml:"));
    CHECK(error_contains("nowhere"));

    CHECK(muster_scenario_check(S("bad.toml"), S(BAD_SCENARIO), &json, &len) == MUSTER_OK);
    CHECK(json != NULL && strlen(json) == len);
    CHECK(json && strstr(json, "\"valid\":false") != NULL);
    CHECK(json && strstr(json, "\"line\":11") != NULL);
    muster_str_free(json);
    json = NULL;

    /* A built-in, analysed. */
    CHECK(muster_scenario_from_path(S("builtin:forest-fire.initial-attack"), &s) == MUSTER_OK);
    CHECK(s != NULL);
    CHECK(muster_scenario_analyse(s, 200, 7, &json, &len) == MUSTER_OK);
    CHECK(json && strstr(json, "\"critical_path\":[") != NULL);
    CHECK(json && strstr(json, "\"p95_secs\"") != NULL);
    muster_str_free(json);
    json = NULL;

    /* Bad options and NULLs. */
    CHECK(muster_scenario_analyse(s, 0, 7, &json, &len) == MUSTER_INVALID_INPUT);
    CHECK(json == NULL);
    CHECK(error_contains("runs must be between 1 and"));
    CHECK(muster_scenario_analyse(NULL, 10, 7, &json, &len) == MUSTER_NULL_PARAMETER);
    CHECK(error_contains("scenario is NULL"));
    CHECK(muster_scenario_analyse(s, 10, 7, NULL, &len) == MUSTER_NULL_PARAMETER);
    CHECK(error_contains("out_json is NULL"));
    muster_scenario_free(s);
    s = NULL;

    CHECK(muster_scenario_from_path(S("builtin:no-such-drill"), &s) == MUSTER_NOT_FOUND);
    CHECK(error_contains("the built-ins are: "));
    CHECK(muster_scenario_from_path(S("/nonexistent/drill.toml"), &s) == MUSTER_NOT_FOUND);
    CHECK(error_contains("/nonexistent/drill.toml: cannot read the file"));
    CHECK(muster_scenario_from_path(NULL, 3, &s) == MUSTER_NULL_PARAMETER);
    CHECK(error_contains("path is NULL"));
    CHECK(muster_scenario_from_text(S("x.toml"), "\xff\xfe", 2, &s) == MUSTER_INVALID_UTF8);
    CHECK(error_contains("text is not UTF-8"));
    CHECK(s == NULL);
    muster_scenario_free(NULL); /* free accepts NULL */
}

static const char *RECORD_BAD_JSON = "{ \"team\": ";

static void scoring(const char *record) {
    muster_package *p = NULL;
    char *json = NULL;
    size_t len = 0;

    CHECK(muster_package_open(S("forest-fire.initial-attack"), &p) == MUSTER_OK);
    CHECK(muster_package_score(p, S("record-nantang.json"), record, strlen(record), &json,
                               &len) == MUSTER_OK);
    CHECK(json && strstr(json, "\"total\":109.83") != NULL);
    CHECK(json && strstr(json, "\"scorer_kind\":\"rhai\"") != NULL);
    muster_str_free(json);
    json = NULL;

    CHECK(muster_package_score(p, S("run.json"), S(RECORD_BAD_JSON), &json, &len) ==
          MUSTER_INVALID_INPUT);
    CHECK(json == NULL);
    CHECK(error_contains("run.json:1:"));
    CHECK(muster_package_score(p, NULL, 0, S(RECORD_BAD_JSON), &json, &len) ==
          MUSTER_NULL_PARAMETER);
    CHECK(error_contains("record_name is NULL"));
    muster_package_free(p);
    p = NULL;

    CHECK(muster_package_open(S("builtin:nope"), &p) == MUSTER_NOT_FOUND);
    CHECK(error_contains("no built-in scenario `nope`"));
    CHECK(p == NULL);
    muster_package_free(NULL);
}

static const char *DRAFTS =
    "[{\"author\":\"m001\",\"at\":\"2026-12-01T08:00:00+08:00\",\"entry\":{\"kind\":"
    "\"member_joined\",\"member\":\"m001\",\"name\":\"Li\",\"squadron\":\"nantang\","
    "\"speciality\":\"forest-fire\"}},"
    "{\"author\":\"m001\",\"at\":\"2026-12-01T09:00:00+08:00\",\"entry\":{\"kind\":"
    "\"qualification_granted\",\"member\":\"m001\",\"skill\":\"boat\",\"level\":1,"
    "\"valid_until\":\"2026-12-20\"}},"
    "{\"author\":\"m001\",\"at\":\"2026-12-01T10:00:00+08:00\",\"entry\":{\"kind\":"
    "\"training_attended\",\"member\":\"m001\",\"item\":\"pt\",\"category\":\"physical\","
    "\"hours\":1.5,\"instructor\":\"m001\"}}]";

/* A progress callback: counts its calls, keeps the last figures, and
 * answers what its context says. */
struct progress_seen {
    int calls;
    uint64_t done, total;
    bool go_on;
};

static bool on_progress(void *context, uint64_t done, uint64_t total) {
    struct progress_seen *seen = context;
    seen->calls++;
    seen->done = done;
    seen->total = total;
    return seen->go_on;
}

static void ledger(const char *path) {
    muster_ledger *l = NULL;
    char *json = NULL;
    size_t len = 0;
    uint64_t count = 0;

    CHECK(muster_ledger_open(path, strlen(path), &l) == MUSTER_OK);
    CHECK(muster_ledger_append(l, S(DRAFTS), &count) == MUSTER_OK);
    CHECK(count == 3);

    /* Refused: unknown member; nothing written, count untouched. */
    count = 99;
    CHECK(muster_ledger_append(l,
                               S("{\"author\":\"m001\",\"at\":\"2026-12-02T08:00:00+08:00\","
                                 "\"entry\":{\"kind\":\"training_attended\",\"member\":"
                                 "\"m404\",\"item\":\"pt\",\"category\":\"physical\","
                                 "\"hours\":1,\"instructor\":\"m001\"}}"),
                               &count) == MUSTER_LEDGER_FAILED);
    CHECK(count == 99);
    CHECK(error_contains("m404"));
    CHECK(error_contains("nothing was written"));
    CHECK(muster_ledger_append(l, S("[{]"), &count) == MUSTER_INVALID_INPUT);
    CHECK(error_contains("<drafts>:1:"));

    CHECK(muster_ledger_hours(l, S("m001"), &json, &len) == MUSTER_OK);
    CHECK(json && strstr(json, "\"hours\":1.5") != NULL);
    muster_str_free(json);
    json = NULL;

    CHECK(muster_ledger_currency(l, S("2026-12-10"), &json, &len) == MUSTER_OK);
    CHECK(json && strstr(json, "\"skill\":\"boat\"") != NULL);
    CHECK(json && strstr(json, "\"days_left\":10") != NULL);
    muster_str_free(json);
    json = NULL;
    CHECK(muster_ledger_currency(l, S("10/12/2026"), &json, &len) == MUSTER_INVALID_INPUT);
    CHECK(error_contains("write YYYY-MM-DD"));

    CHECK(muster_ledger_verify(l, &json, &len) == MUSTER_OK);
    CHECK(json && strstr(json, "\"entries\":3") != NULL);
    CHECK(json && strstr(json, "\"problem\":null") != NULL);
    muster_str_free(json);
    json = NULL;
    CHECK(muster_ledger_verify(NULL, &json, &len) == MUSTER_NULL_PARAMETER);

    /* A package's scorer source kept beside the chain; no scores to replay yet. */
    muster_package *p = NULL;
    CHECK(muster_package_open(S("forest-fire.initial-attack"), &p) == MUSTER_OK);
    CHECK(muster_ledger_keep_source(l, p) == MUSTER_OK);
    CHECK(muster_ledger_keep_source(l, p) == MUSTER_OK);
    CHECK(muster_ledger_keep_source(l, NULL) == MUSTER_NULL_PARAMETER);
    CHECK(muster_ledger_rescore(l, p, S("m001"), S("2026-12-02T08:00:00+08:00"), &json, &len) ==
          MUSTER_OK);
    CHECK(json && strstr(json, "\"runs\":0") != NULL);
    CHECK(json && strstr(json, "\"first_entry\":null") != NULL);
    muster_str_free(json);
    json = NULL;
    CHECK(muster_ledger_rescore(l, p, S("m001"), S("tomorrow"), &json, &len) ==
          MUSTER_INVALID_INPUT);
    CHECK(error_contains("not an RFC 3339 time"));
    /* With a progress callback: told once at the end, then cancelled by it. */
    struct progress_seen seen = {0, 0, 0, true};
    CHECK(muster_ledger_rescore_with_progress(l, p, S("m001"), S("2026-12-02T08:00:00+08:00"),
                                              on_progress, &seen, &json, &len) == MUSTER_OK);
    CHECK(json && strstr(json, "\"runs\":0") != NULL);
    muster_str_free(json);
    json = NULL;
    CHECK(seen.calls == 1 && seen.done == 3 && seen.total == 3);
    seen.go_on = false;
    CHECK(muster_ledger_rescore_with_progress(l, p, S("m001"), S("2026-12-02T08:00:00+08:00"),
                                              on_progress, &seen, &json, &len) ==
          MUSTER_CANCELLED);
    CHECK(error_contains("re-score cancelled after reading 3 of 3 entries; nothing was written"));
    CHECK(seen.calls == 2 && json == NULL);
    CHECK(muster_ledger_rescore_with_progress(l, p, S("m001"), S("2026-12-02T08:00:00+08:00"),
                                              NULL, NULL, &json, &len) == MUSTER_OK);
    muster_str_free(json);
    json = NULL;
    CHECK(muster_ledger_rescore_with_progress(NULL, p, S("m001"), S("2026-12-02T08:00:00+08:00"),
                                              on_progress, &seen, &json, &len) ==
          MUSTER_NULL_PARAMETER);
    CHECK(seen.calls == 2);
    muster_package_free(p);
    CHECK(muster_ledger_verify(l, &json, &len) == MUSTER_OK);
    CHECK(json && strstr(json, "\"sources\":1") != NULL);
    muster_str_free(json);
    json = NULL;
    CHECK(muster_ledger_replay(l, &json, &len) == MUSTER_OK);
    CHECK(json && strstr(json, "\"replayed\":0") != NULL);
    CHECK(json && strstr(json, "\"unresolved\":[]") != NULL);
    muster_str_free(json);
    json = NULL;
    CHECK(muster_ledger_replay(l, NULL, &len) == MUSTER_NULL_PARAMETER);
    CHECK(muster_ledger_append(l, S(DRAFTS), NULL) == MUSTER_NULL_PARAMETER);
    CHECK(error_contains("out_count is NULL"));
    muster_ledger_free(l);
    muster_ledger_free(NULL);

    l = NULL;
    CHECK(muster_ledger_open(S("/nonexistent/dir/ledger.db"), &l) == MUSTER_LEDGER_FAILED);
    CHECK(error_contains("/nonexistent/dir/ledger.db"));
    CHECK(l == NULL);
}

static void planning(void) {
    char *json = NULL;
    size_t len = 0;

    CHECK(muster_plan(S("builtin:brigade.toml"), S("builtin:syllabus.toml"), S("2026-12-01"),
                      S("2026-12-07"), 0, &json, &len) == MUSTER_OK);
    CHECK(json && strstr(json, "\"time_zone\":\"Asia/Shanghai\"") != NULL);
    CHECK(json && strstr(json, "\"sessions\":[{") != NULL);
    muster_str_free(json);
    json = NULL;

    CHECK(muster_plan(S("builtin:brigade.toml"), S("builtin:syllabus.toml"), S("2026-12-07"),
                      S("2026-12-01"), 0, &json, &len) == MUSTER_INVALID_INPUT);
    CHECK(error_contains("is before first_day"));
    CHECK(muster_plan(S("[brigade]\nname = 3\n"), S("builtin:syllabus.toml"), S("2026-12-01"),
                      S("2026-12-07"), 0, &json, &len) == MUSTER_INVALID_INPUT);
    CHECK(error_contains("<brigade>:"));
    CHECK(json == NULL);
}

static void messages(void) {
    char small[8];
    size_t n = 0;
    muster_scenario *s = NULL;
    CHECK(muster_scenario_from_path(S("builtin:no-such-drill"), &s) == MUSTER_NOT_FOUND);
    CHECK(muster_error_message(small, sizeof small, &n) == MUSTER_BUFFER_TOO_SMALL);
    CHECK(n > sizeof small && strlen(small) == sizeof small - 1);
    CHECK(muster_error_message(NULL, 10, &n) == MUSTER_NULL_PARAMETER);
    /* A success clears the message. */
    CHECK(muster_scenario_from_path(S("builtin:forest-fire.initial-attack"), &s) == MUSTER_OK);
    CHECK(strcmp(last_error(), "") == 0);
    muster_scenario_free(s);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s LEDGER_PATH RECORD_JSON_FILE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", argv[2]);
        return 2;
    }
    static char record[65536];
    size_t got = fread(record, 1, sizeof record - 1, f);
    fclose(f);
    record[got] = 0;

    scenarios();
    scoring(record);
    ledger(argv[1]);
    planning();
    messages();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
