;; Reports its own error the ABI way: {"error": "..."}.
(module
  (@custom "muster-abi" "1")
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"error\":\"unknown penalty code smoke\"}")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 38))))
