;; Reads a word that starts 6 bytes before the end of its one page of memory
;; and so runs past it: a trap, whether the engine checks bounds in code (a
;; fresh instance) or leaves them to the guard region (a batch).
(module
  (@custom "muster-abi" "1")
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    (i64.load (i32.const 65530))))
