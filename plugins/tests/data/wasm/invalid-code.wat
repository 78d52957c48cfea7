;; Exports all the ABI asks with the right types, but `score`'s body leaves
;; an i32 where its type says i64: the text parses, the code does not
;; validate.
(module
  (@custom "muster-abi" "1")
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64) (i32.const 0)))
