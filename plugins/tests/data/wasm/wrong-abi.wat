;; Declares an ABI this host does not speak.
(module
  (@custom "muster-abi" "4")
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64) (i64.const 0)))
