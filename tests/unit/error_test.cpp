#include <pinnipedci/error.hpp>
#include <pinnipedci/secret.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <type_traits>

namespace pinnipedci {
namespace {

TEST(ErrorTest, ExitCodeTableIsStable)
{
  EXPECT_EQ(exit_code(ErrorKind::usage), 2);
  EXPECT_EQ(exit_code(ErrorKind::auth), 3);
  EXPECT_EQ(exit_code(ErrorKind::network), 4);
  EXPECT_EQ(exit_code(ErrorKind::remote), 5);
  EXPECT_EQ(exit_code(ErrorKind::verification), 6);
  EXPECT_EQ(exit_code(ErrorKind::expired), 7);
  EXPECT_EQ(exit_code(ErrorKind::internal), 70);
}

TEST(ErrorTest, ContextPrefixesMessageAndKeepsKind)
{
  Error e(ErrorKind::remote, "bad reply", "detail");
  Error c = e.with_context("could not complete Pinniped login");
  EXPECT_EQ(c.message(), "could not complete Pinniped login: bad reply");
  EXPECT_EQ(c.kind(), ErrorKind::remote);
  EXPECT_EQ(c.detail(), "detail");
}

template<typename T, typename = void> struct IsStreamable : std::false_type {};
template<typename T>
struct IsStreamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
  : std::true_type {};

TEST(SecretTest, CannotBeStreamedOrConverted)
{
  static_assert(!IsStreamable<Secret>::value, "a Secret must not be streamable");
  static_assert(!std::is_convertible_v<Secret, std::string>, "no implicit conversion");
  static_assert(!std::is_convertible_v<std::string, Secret>, "construction is explicit");
  Secret s("hunter2");
  EXPECT_EQ(s.reveal(), "hunter2");
  Secret moved(std::move(s));
  EXPECT_TRUE(s.empty()); // NOLINT(bugprone-use-after-move): wiped on move
  EXPECT_TRUE(moved == Secret("hunter2"));
  EXPECT_FALSE(moved == Secret("hunter3"));
}

} // namespace
} // namespace pinnipedci
