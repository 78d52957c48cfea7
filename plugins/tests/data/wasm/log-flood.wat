;; Logs 1 KiB lines forever.
(module
  (import "muster" "log" (func $log (param i32 i32)))
  (@custom "muster-abi" "1")
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    (loop $l (call $log (i32.const 0) (i32.const 1024)) (br $l))
    (i64.const 0)))
