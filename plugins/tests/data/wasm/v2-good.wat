;; A well-behaved ABI v2 scorer: reads the record's `elapsed` (the f64 after
;; the input's 4-byte record length) and returns the binary card
;; { total: elapsed, status: valid, notes: ["v2"], tasks: { knockdown: 10 points } }.
(module
  (@custom "muster-abi" "2")
  (memory (export "memory") 1)
  ;; tag 0 (card), total (filled in), status 0, reason "", 1 note "v2",
  ;; 1 task entry "knockdown" with flags 1 (points) and 10.0.
  (data (i32.const 2048)
    "\00" "\00\00\00\00\00\00\00\00" "\00"
    "\00\00\00\00"
    "\01\00\00\00" "\02\00\00\00" "v2"
    "\01\00\00\00" "\09\00\00\00" "knockdown" "\01" "\00\00\00\00\00\00\24\40")
  (func (export "alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "score") (param $ptr i32) (param $len i32) (result i64)
    (f64.store (i32.const 2049) (f64.load (i32.add (local.get $ptr) (i32.const 4))))
    ;; (2048 << 32) | 50
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 50))))
