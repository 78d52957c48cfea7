;; An ABI v2 card that gives points to a task the record does not have.
(module
  (@custom "muster-abi" "2")
  (memory (export "memory") 1)
  (data (i32.const 16)
    "\00" "\00\00\00\00\00\00\59\40" "\00" "\00\00\00\00" "\00\00\00\00"
    "\01\00\00\00" "\06\00\00\00" "ghosts" "\01" "\00\00\00\00\00\00\f0\3f")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    ;; (16 << 32) | 41
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 41))))
