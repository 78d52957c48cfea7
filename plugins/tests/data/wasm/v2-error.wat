;; Reports its own error the ABI v2 way: tag 1, then the message.
(module
  (@custom "muster-abi" "2")
  (memory (export "memory") 1)
  (data (i32.const 16) "\01" "\1a\00\00\00" "unknown penalty code smoke")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    ;; (16 << 32) | 31
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 31))))
