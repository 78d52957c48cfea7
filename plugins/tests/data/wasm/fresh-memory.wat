;; Checks that every fresh instance starts from the module's own memory:
;; a byte past the data segments must be zero and a byte of a data segment
;; must hold its initial value; the call then changes both, so a slot reused
;; without a proper reset would show it on the next call.
(module
  (@custom "muster-abi" "1")
  (memory (export "memory") 2)
  (data (i32.const 16) "{\"total\":1,\"status\":\"valid\",\"reason\":\"\",\"notes\":[]}")
  (data (i32.const 200) "{\"error\":\"saw a previous call's data\"}")
  (data (i32.const 400) "A")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    (if (i32.or
          (i32.ne (i32.load8_u (i32.const 70000)) (i32.const 0))
          (i32.ne (i32.load8_u (i32.const 400)) (i32.const 65)))
      (then
        (return (i64.or (i64.shl (i64.const 200) (i64.const 32)) (i64.const 38)))))
    (i32.store8 (i32.const 70000) (i32.const 1))
    (i32.store8 (i32.const 400) (i32.const 66))
    ;; (16 << 32) | 51
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 51))))
