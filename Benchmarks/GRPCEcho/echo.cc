// A bare gRPC echo server on C++ gRPC (Debian's libgrpc++), the transport's ceiling in the
// benchmark (scripts/server-cost.sh builds and runs it): one generic method that answers the bytes
// it was sent, as `governance echo-server` does on grpc-swift. No token, no interceptor, no
// database.
//
//   echo ADDRESS [SECONDS]    serves on ADDRESS (127.0.0.1:PORT) and stops after SECONDS (3600)
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

namespace {

// One call: the request's single message, written back with an OK status. The generic API sees
// every call as a stream, so a unary call is one read and one write-and-finish.
class EchoReactor final : public grpc::ServerGenericBidiReactor {
 public:
  EchoReactor() { StartRead(&message_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the call sent no message"));
      return;
    }
    StartWriteAndFinish(&message_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer message_;
};

class EchoService final : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    return new EchoReactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: echo 127.0.0.1:PORT [SECONDS]\n";
    return 2;
  }
  const std::string address = argv[1];
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 3600;
  EchoService service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::cerr << "cannot serve on " << address << "\n";
    return 1;
  }
  std::cout << "echo server on " << address << std::endl;
  // A benchmark server stops by itself, even when whoever started it is gone.
  std::thread deadline([&server, seconds] {
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    server->Shutdown();
  });
  server->Wait();
  // Shutdown returns once the calls in flight are done; the server is destroyed after it.
  deadline.join();
  return 0;
}
