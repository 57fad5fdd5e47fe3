// The delegate installed on every interpreter (interpreter.cc). It wraps
// XNNPACK when there is one, and otherwise takes no nodes. Its Prepare is the
// C API's only window onto the interpreter's context: it tells how many nodes
// XNNPACK took, keeps the context so that tensor sizes can be checked after
// allocation, and keeps nodes from XNNPACK.
//
// Keeping nodes from XNNPACK (partial delegation). TFLite 2.9's XNNPACK has no
// option to skip a node, and when it cannot build a runtime for one node (a
// QS8 convolution whose requantization scale is out of its range) the whole
// delegate fails. XNNPACK chooses its nodes from context->GetExecutionPlan;
// while its Prepare runs, that function pointer returns the plan without the
// excluded nodes, so XNNPACK partitions around them and they stay on the
// built-in kernels.
//
// Finding them (search mode, only after a creation with XNNPACK failed):
// XNNPACK's Prepare runs once with its ReplaceNodeSubsetsWithDelegateKernels
// call answered here, which yields the nodes it wants and its kernel's
// TfLiteRegistration. That kernel's init is where XNNPACK builds a runtime
// (and returns null when it cannot), so a set of nodes is tried by
// previewing its partitions (context->PreviewDelegatePartitioning) and
// calling init and free on each, as TFLite would; failing partitions are
// bisected to single nodes. No interpreter is created for a trial, and the
// graph is not changed. Then XNNPACK's Prepare runs for real on the plan
// without the refused nodes.
#ifndef TFLITE_SERVERLESS_OBSERVER_DELEGATE_H_
#define TFLITE_SERVERLESS_OBSERVER_DELEGATE_H_

#include <memory>
#include <string>
#include <vector>

#include "tensorflow/lite/c/common.h"

namespace tfls {

// A node kept from XNNPACK, and what XNNPACK reported when it was tried.
struct RefusedNode {
  int node;
  std::string reason;
};

class ObserverDelegate {
 public:
  // inner: XNNPACK's delegate, or null. excluded: nodes XNNPACK must not see.
  // search: find the nodes XNNPACK cannot build a runtime for, and exclude
  // them too. errors: where the interpreter's error reporter writes (the
  // search reads each trial's messages from it, and clears it).
  ObserverDelegate(const TfLiteDelegate* inner, const std::vector<int>& excluded, bool search, std::string* errors);
  ~ObserverDelegate();
  ObserverDelegate(const ObserverDelegate&) = delete;
  ObserverDelegate& operator=(const ObserverDelegate&) = delete;

  TfLiteDelegate* delegate() { return &handle_.base; }
  TfLiteContext* context() const { return context_; }
  int nodes_before() const { return nodes_before_; }
  int nodes_delegated() const { return nodes_delegated_; }
  // XNNPACK's own Prepare succeeded: a failure after it is in its kernels
  // (a runtime it could not create), which a search can get around.
  bool inner_prepared() const { return inner_prepared_; }
  // The nodes kept from XNNPACK: those excluded by the caller, then those
  // the search found, each with its reason.
  const std::vector<RefusedNode>& refused() const { return refused_; }
  // XNNPACK runtimes built to find the refused nodes.
  int trials() const { return trials_; }

 private:
  // TFLite hands back the TfLiteDelegate pointer: the owner is found through
  // this standard-layout wrapper, whose first member it is.
  struct Handle {
    TfLiteDelegate base;
    ObserverDelegate* owner;
  };
  class PlanFilter;
  class Probe;

  static TfLiteStatus Prepare(TfLiteContext* context, TfLiteDelegate* delegate);
  TfLiteStatus PrepareInner(TfLiteContext* context);
  TfLiteStatus Search(TfLiteContext* context);
  // Whether XNNPACK builds a runtime for each partition of these nodes.
  bool Accepts(TfLiteContext* context, const std::vector<int>& nodes);
  void Narrow(TfLiteContext* context, const std::vector<int>& nodes);
  void ExcludeStaticProducers(TfLiteContext* context);
  void Exclude(int node, const std::string& reason);
  std::string TakeErrors();

  Handle handle_;
  TfLiteStatus (*inner_prepare_)(TfLiteContext*, TfLiteDelegate*) = nullptr;
  std::vector<int> excluded_;
  bool search_ = false;
  std::string* errors_;
  TfLiteContext* context_ = nullptr;
  TfLiteContext* primary_ = nullptr;
  int nodes_before_ = 0;
  int nodes_delegated_ = 0;
  bool inner_prepared_ = false;
  int trials_ = 0;
  std::vector<RefusedNode> refused_;
  // What the probe saw XNNPACK ask for.
  bool probed_ = false;
  TfLiteRegistration kernel_{};
  std::vector<int> wanted_;
};

}  // namespace tfls

#endif  // TFLITE_SERVERLESS_OBSERVER_DELEGATE_H_
