;; Points its output past the end of memory.
(module
  (@custom "muster-abi" "1")
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 65530) (i64.const 32)) (i64.const 100))))
