;; An ABI v2 card with status 7, which is none of valid (0), dnf (1), dq (2).
(module
  (@custom "muster-abi" "2")
  (memory (export "memory") 1)
  (data (i32.const 16)
    "\00" "\00\00\00\00\00\00\59\40" "\07" "\00\00\00\00" "\00\00\00\00" "\00\00\00\00")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    ;; (16 << 32) | 22
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 22))))
