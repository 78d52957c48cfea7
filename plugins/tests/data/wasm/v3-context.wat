;; An ABI v3 scorer that shows which parts of the record's context the host
;; sent: it returns the binary card { total: the record's context flags,
;; status: valid, notes: ["v3"] }. The flags byte follows the record's
;; elapsed, time limit, attempt and team: input offset 29 + the team's length
;; (the u32 at input offset 25). A team name of 13 bytes makes it trap, so
;; that a test can show the host's next instance is sent the whole context.
(module
  (@custom "muster-abi" "3")
  (memory (export "memory") 1)
  ;; tag 0 (card), total (filled in), status 0, reason "", 1 note "v3",
  ;; no task entries.
  (data (i32.const 2048)
    "\00" "\00\00\00\00\00\00\00\00" "\00"
    "\00\00\00\00"
    "\01\00\00\00" "\02\00\00\00" "v3"
    "\00\00\00\00")
  (func (export "alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "score") (param $ptr i32) (param $len i32) (result i64)
    (if (i32.eq (i32.load (i32.add (local.get $ptr) (i32.const 25))) (i32.const 13))
      (then unreachable))
    (f64.store (i32.const 2049)
      (f64.convert_i32_u
        (i32.load8_u
          (i32.add
            (i32.add (local.get $ptr) (i32.const 29))
            (i32.load (i32.add (local.get $ptr) (i32.const 25)))))))
    ;; (2048 << 32) | 28
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 28))))
