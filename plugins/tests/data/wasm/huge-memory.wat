;; Declares 64 MiB of initial memory, above the 16 MiB cap.
(module
  (@custom "muster-abi" "1")
  (memory (export "memory") 1024)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64) (i64.const 0)))
