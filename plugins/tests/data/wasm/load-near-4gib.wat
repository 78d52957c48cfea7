;; Reads at an address near the top of the 4 GiB a 32-bit address reaches,
;; with an offset that takes it past 4 GiB: a trap on both engines, never a
;; read of host memory past the reservation.
(module
  (@custom "muster-abi" "1")
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "score") (param i32 i32) (result i64)
    (i64.load offset=0x7fffffff (i32.const 0xfffffff0))))
