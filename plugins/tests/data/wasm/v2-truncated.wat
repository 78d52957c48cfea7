;; An ABI v2 card cut short inside its total.
(module
  (@custom "muster-abi" "2")
  (memory (export "memory") 1)
  (data (i32.const 16) "\00" "\00\00\00\00")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    ;; (16 << 32) | 5
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 5))))
