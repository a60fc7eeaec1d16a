// Runs ClipByNormPerRow from C++: loads the op library, builds a graph that feeds a float32
// matrix to the op and prints both outputs, one row per line.
//
//   run_clip_by_norm_per_row LIBRARY CLIP_NORM COLUMNS VALUE...
//   run_clip_by_norm_per_row ./libclip_by_norm_per_row.so 1.0 2  3 4  0.3 0.4
//   clipped: 0.6 0.8
//   clipped: 0.3 0.4
//   norms: 5 0.5
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tensorlib/graph.h"
#include "tensorlib/op_library.h"
#include "tensorlib/session.h"

namespace {

tl::Status run(int argc, char** argv) {
  if (argc < 4) {
    return tl::invalid_argument(
        "usage: run_clip_by_norm_per_row LIBRARY CLIP_NORM COLUMNS VALUE...");
  }
  std::vector<std::string> ops;
  TL_RETURN_IF_ERROR(tl::load_op_library(argv[1], &ops));
  const double clip_norm = std::atof(argv[2]);
  const int64_t columns = std::atoll(argv[3]);
  std::vector<float> values;
  for (int i = 4; i < argc; ++i) values.push_back(static_cast<float>(std::atof(argv[i])));
  if (columns <= 0 || values.size() % columns != 0) {
    return tl::invalid_argument("the values do not fill rows of COLUMNS");
  }
  const int64_t rows = static_cast<int64_t>(values.size()) / columns;

  auto graph = std::make_shared<tl::Graph>();
  tl::NodeSpec x;
  x.op = "Placeholder";
  x.name = "x";
  x.attrs.set("dtype", tl::DType::kFloat32);
  x.attrs.set("shape", tl::Shape({tl::kUnknownDim, columns}));
  int32_t x_id, clip_id;
  TL_RETURN_IF_ERROR(graph->add_node(x, &x_id));
  tl::NodeSpec clip;
  clip.op = "ClipByNormPerRow";
  clip.name = "clip";
  clip.inputs = {{x_id, 0}};
  clip.attrs.set("clip_norm", clip_norm);
  TL_RETURN_IF_ERROR(graph->add_node(clip, &clip_id));

  tl::Session session(graph, tl::SessionOptions{});
  int64_t callable;
  TL_RETURN_IF_ERROR(
      session.make_callable({{x_id, 0}}, {{clip_id, 0}, {clip_id, 1}}, {}, &callable));
  tl::Tensor in =
      tl::Tensor::borrow(tl::DType::kFloat32, tl::Shape({rows, columns}), values.data());
  tl::Tensor out[2];
  TL_RETURN_IF_ERROR(session.run_callable(callable, &in, out));

  for (int64_t r = 0; r < rows; ++r) {
    std::printf("clipped:");
    for (int64_t c = 0; c < columns; ++c) {
      std::printf(" %.9g", out[0].data<float>()[r * columns + c]);
    }
    std::printf("\n");
  }
  std::printf("norms:");
  for (int64_t r = 0; r < rows; ++r) std::printf(" %.9g", out[1].data<float>()[r]);
  std::printf("\n");
  return tl::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  tl::Status s = run(argc, argv);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  return 0;
}
