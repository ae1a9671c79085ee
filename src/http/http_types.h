// Plain request/response values exchanged between the Beast server and the
// handlers, so that Beast and Asio stay inside server.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace offerledger {

struct HttpRequest {
  std::string method;  // "POST"
  std::string target;  // raw request target: path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;

  // Every value of header `lower_name`, in order.
  std::vector<std::string_view> HeaderValues(std::string_view lower_name) const;
  // The single value of `lower_name`, nullopt if absent.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
};

// The body of the 500 sent when a handler throws: nothing about the failure
// (it goes to stderr), the usual error shape.
inline constexpr std::string_view kHandlerFailedBody =
    R"({"type":"server_error","message":"Internal server error.","errors":{}})";

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace offerledger
