// Tests import this before `@grpc/grpc-js-xds`; the one copy lives beside the host workloads.
import "../../../cli/dev/workloads/enable-grpc-rbac";
