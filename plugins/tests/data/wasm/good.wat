;; A well-behaved ABI v1 scorer: returns a fixed valid card.
(module
  (import "muster" "log" (func $log (param i32 i32)))
  (@custom "muster-abi" "1")
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"total\":42.5,\"status\":\"valid\",\"reason\":\"\",\"notes\":[\"fixed\"]}")
  (data (i32.const 200) "good.wat scored")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    (call $log (i32.const 200) (i32.const 15))
    ;; (16 << 32) | 61
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 61))))
