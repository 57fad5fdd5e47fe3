#include "observer_delegate.h"

#include <algorithm>
#include <unordered_map>

namespace tfls {

namespace {

using IntArray = std::unique_ptr<TfLiteIntArray, decltype(&TfLiteIntArrayFree)>;

IntArray MakeIntArray(const std::vector<int>& values) {
  IntArray array(TfLiteIntArrayCreate(static_cast<int>(values.size())), &TfLiteIntArrayFree);
  std::copy(values.begin(), values.end(), array->data);
  return array;
}

std::vector<int> ToVector(const TfLiteIntArray* array) {
  return std::vector<int>(array->data, array->data + array->size);
}

// The partitions TFLite would make of these nodes, each as its node list.
std::vector<std::vector<int>> Partitions(TfLiteContext* context, const std::vector<int>& nodes) {
  std::vector<std::vector<int>> parts;
  IntArray subset = MakeIntArray(nodes);
  TfLiteDelegateParams* params = nullptr;
  int count = 0;
  if (context->PreviewDelegatePartitioning(context, subset.get(), &params, &count) != kTfLiteOk) return parts;
  for (int i = 0; i < count; ++i) parts.push_back(ToVector(params[i].nodes_to_replace));
  return parts;
}

}  // namespace

// Swaps context->GetExecutionPlan for one that leaves the excluded nodes out,
// for as long as it lives. The replacement gets only the context, hence the
// thread-local: creation runs on one thread, start to end.
class ObserverDelegate::PlanFilter {
 public:
  PlanFilter(TfLiteContext* context, const std::vector<int>& excluded)
      : context_(context), excluded_(excluded), original_(context->GetExecutionPlan) {
    active_ = this;
    context->GetExecutionPlan = &PlanFilter::Filtered;
  }
  ~PlanFilter() {
    context_->GetExecutionPlan = original_;
    active_ = nullptr;
  }
  PlanFilter(const PlanFilter&) = delete;
  PlanFilter& operator=(const PlanFilter&) = delete;

 private:
  static TfLiteStatus Filtered(TfLiteContext* context, TfLiteIntArray** execution_plan) {
    PlanFilter* self = active_;
    TfLiteIntArray* full = nullptr;
    const TfLiteStatus status = self->original_(context, &full);
    if (status != kTfLiteOk) return status;
    // Each call invalidates the plan the previous one returned, as TFLite's own does.
    self->plan_.reset(TfLiteIntArrayCreate(full->size));
    int size = 0;
    for (int i = 0; i < full->size; ++i) {
      if (!std::binary_search(self->excluded_.begin(), self->excluded_.end(), full->data[i])) {
        self->plan_->data[size++] = full->data[i];
      }
    }
    self->plan_->size = size;
    *execution_plan = self->plan_.get();
    return kTfLiteOk;
  }

  static thread_local PlanFilter* active_;
  TfLiteContext* context_;
  const std::vector<int>& excluded_;
  TfLiteStatus (*original_)(TfLiteContext*, TfLiteIntArray**);
  IntArray plan_{nullptr, &TfLiteIntArrayFree};
};

thread_local ObserverDelegate::PlanFilter* ObserverDelegate::PlanFilter::active_ = nullptr;

// Answers XNNPACK's ReplaceNodeSubsetsWithDelegateKernels for as long as it
// lives: records the nodes it asks for and its kernel, and changes nothing.
class ObserverDelegate::Probe {
 public:
  explicit Probe(TfLiteContext* context)
      : context_(context), original_(context->ReplaceNodeSubsetsWithDelegateKernels) {
    context->ReplaceNodeSubsetsWithDelegateKernels = &Probe::Record;
  }
  ~Probe() { context_->ReplaceNodeSubsetsWithDelegateKernels = original_; }
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

 private:
  static TfLiteStatus Record(TfLiteContext* context, TfLiteRegistration registration, const TfLiteIntArray* nodes,
                             TfLiteDelegate* delegate) {
    ObserverDelegate* self = reinterpret_cast<Handle*>(delegate)->owner;
    self->kernel_ = registration;
    self->wanted_ = ToVector(nodes);
    self->probed_ = true;
    return kTfLiteOk;
  }

  TfLiteContext* context_;
  TfLiteStatus (*original_)(TfLiteContext*, TfLiteRegistration, const TfLiteIntArray*, TfLiteDelegate*);
};

// The copy of XNNPACK's struct keeps its data_ and callbacks, so XNNPACK sees
// the wrapper as itself.
ObserverDelegate::ObserverDelegate(const TfLiteDelegate* inner, const std::vector<int>& excluded, bool search,
                                   std::string* errors)
    : search_(search), errors_(errors) {
  handle_.base = inner != nullptr ? *inner : TfLiteDelegateCreate();
  handle_.base.Prepare = &ObserverDelegate::Prepare;
  handle_.owner = this;
  inner_prepare_ = inner != nullptr ? inner->Prepare : nullptr;
  for (int node : excluded) Exclude(node, "left to the built-in kernels when loading");
}

ObserverDelegate::~ObserverDelegate() = default;

TfLiteStatus ObserverDelegate::Prepare(TfLiteContext* context, TfLiteDelegate* delegate) {
  ObserverDelegate* self = reinterpret_cast<Handle*>(delegate)->owner;
  self->context_ = context;
  // TFLite prepares the delegate on each subgraph, the main one first. Node
  // numbers (counted, excluded, searched) are the main subgraph's; XNNPACK
  // takes the others (control flow bodies) whole or not at all.
  if (self->primary_ == nullptr) self->primary_ = context;
  if (context != self->primary_) {
    return self->inner_prepare_ != nullptr ? self->inner_prepare_(context, delegate) : kTfLiteOk;
  }
  TfLiteIntArray* plan = nullptr;
  if (context->GetExecutionPlan(context, &plan) == kTfLiteOk) self->nodes_before_ = plan->size;
  if (self->inner_prepare_ == nullptr) return kTfLiteOk;
  if (self->search_) {
    const TfLiteStatus searched = self->Search(context);
    if (searched != kTfLiteOk) return searched;
  }
  if (!self->excluded_.empty()) self->ExcludeStaticProducers(context);
  const TfLiteStatus status = self->PrepareInner(context);
  if (status != kTfLiteOk || context->GetExecutionPlan(context, &plan) != kTfLiteOk) return status;
  self->inner_prepared_ = true;
  int delegate_nodes = 0;
  for (int i = 0; i < plan->size; ++i) {
    TfLiteNode* node = nullptr;
    TfLiteRegistration* registration = nullptr;
    if (context->GetNodeAndRegistration(context, plan->data[i], &node, &registration) == kTfLiteOk &&
        node->delegate == delegate) {
      ++delegate_nodes;
    }
  }
  self->nodes_delegated_ = self->nodes_before_ - (plan->size - delegate_nodes);
  return status;
}

TfLiteStatus ObserverDelegate::PrepareInner(TfLiteContext* context) {
  if (excluded_.empty()) return inner_prepare_(context, delegate());
  PlanFilter filter(context, excluded_);
  return inner_prepare_(context, delegate());
}

TfLiteStatus ObserverDelegate::Search(TfLiteContext* context) {
  TfLiteStatus status;
  {
    Probe probe(context);
    status = PrepareInner(context);
  }
  if (status != kTfLiteOk || !probed_ || wanted_.empty() || kernel_.init == nullptr) return status;
  TakeErrors();
  Narrow(context, wanted_);
  TakeErrors();
  return kTfLiteOk;
}

bool ObserverDelegate::Accepts(TfLiteContext* context, const std::vector<int>& nodes) {
  IntArray subset = MakeIntArray(nodes);
  TfLiteDelegateParams* partitions = nullptr;
  int count = 0;
  if (context->PreviewDelegatePartitioning(context, subset.get(), &partitions, &count) != kTfLiteOk) return false;
  for (int i = 0; i < count; ++i) {
    // What ReplaceNodeSubsetsWithDelegateKernels hands the kernel's init, delegate included.
    TfLiteDelegateParams params = partitions[i];
    params.delegate = delegate();
    ++trials_;
    void* runtime = kernel_.init(context, reinterpret_cast<const char*>(&params), 0);
    if (runtime == nullptr) return false;
    if (kernel_.free != nullptr) kernel_.free(context, runtime);
  }
  return true;
}

// Partitions first (XNNPACK builds one runtime per partition, and most pass),
// then halves of a failing one, down to single nodes.
void ObserverDelegate::Narrow(TfLiteContext* context, const std::vector<int>& nodes) {
  for (const std::vector<int>& part : Partitions(context, nodes)) {
    if (Accepts(context, part)) {
      TakeErrors();
      continue;
    }
    if (part.size() == 1) {
      Exclude(part[0], TakeErrors());
      continue;
    }
    TakeErrors();
    const size_t before = refused_.size();
    const auto middle = part.begin() + static_cast<std::ptrdiff_t>(part.size() / 2);
    Narrow(context, std::vector<int>(part.begin(), middle));
    Narrow(context, std::vector<int>(middle, part.end()));
    if (refused_.size() == before) {
      for (int node : part) Exclude(node, "XNNPACK could not build one runtime for these nodes together");
    }
  }
}

// A node that only unpacks constant weights (a DEQUANTIZE of float16 ones)
// is folded by XNNPACK into the nodes that read them: it writes nothing at
// run time. When one reader is kept from XNNPACK and another is not (shared
// weights), the unpacking node must be kept from it too, or the weights the
// kept reader needs are never written.
void ObserverDelegate::ExcludeStaticProducers(TfLiteContext* context) {
  TfLiteIntArray* plan = nullptr;
  if (context->GetExecutionPlan(context, &plan) != kTfLiteOk) return;
  std::unordered_map<int, int> producer;
  for (int i = 0; i < plan->size; ++i) {
    TfLiteNode* node = nullptr;
    TfLiteRegistration* registration = nullptr;
    if (context->GetNodeAndRegistration(context, plan->data[i], &node, &registration) != kTfLiteOk) continue;
    for (int o = 0; o < node->outputs->size; ++o) producer[node->outputs->data[o]] = plan->data[i];
  }
  const std::vector<RefusedNode> refused = refused_;
  for (const RefusedNode& kept : refused) {
    TfLiteNode* node = nullptr;
    TfLiteRegistration* registration = nullptr;
    if (context->GetNodeAndRegistration(context, kept.node, &node, &registration) != kTfLiteOk) continue;
    for (int i = 0; i < node->inputs->size; ++i) {
      const auto found = producer.find(node->inputs->data[i]);
      if (found == producer.end()) continue;
      TfLiteNode* source = nullptr;
      if (context->GetNodeAndRegistration(context, found->second, &source, &registration) != kTfLiteOk) continue;
      bool constant = source->inputs->size > 0;
      for (int j = 0; j < source->inputs->size; ++j) {
        const int tensor = source->inputs->data[j];
        if (tensor >= 0 && context->tensors[tensor].allocation_type != kTfLiteMmapRo) constant = false;
      }
      if (constant) {
        Exclude(found->second, "it unpacks constant weights for node #" + std::to_string(kept.node) +
                                   ", which is kept from XNNPACK");
      }
    }
  }
}

void ObserverDelegate::Exclude(int node, const std::string& reason) {
  const auto at = std::lower_bound(excluded_.begin(), excluded_.end(), node);
  if (at != excluded_.end() && *at == node) return;
  excluded_.insert(at, node);
  refused_.push_back({node, reason.empty() ? "no details from XNNPACK" : reason});
}

std::string ObserverDelegate::TakeErrors() {
  std::string errors;
  if (errors_ != nullptr) errors.swap(*errors_);
  return errors;
}

}  // namespace tfls
