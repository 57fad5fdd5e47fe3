#!/bin/sh
# Lambda runs this before the Node runtime when the function sets
# AWS_LAMBDA_EXEC_WRAPPER=/opt/tfls-exec-wrapper. It preloads the layer's
# sysfs shim, which lets XNNPACK count CPUs on Lambda arm64, where
# /sys/devices/system/cpu/possible and /present do not exist.
shim=/opt/lib/libtfls_cpu_sysfs.so
if [ -r "$shim" ]; then
  export LD_PRELOAD="$shim${LD_PRELOAD:+:$LD_PRELOAD}"
fi
exec "$@"
