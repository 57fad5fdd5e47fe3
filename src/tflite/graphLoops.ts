import { BuiltinOperator } from './generated/reader/schema_generated.js';
import { builtinCode } from './opcodes.js';
import type { ModelFile } from './openModel.js';
import { vectorOf } from './vectorOf.js';

/** Whether any subgraph loops (WHILE): a loop may never end, whatever validation says of its fields. */
const graphLoops = (file: ModelFile): boolean =>
  vectorOf(file.root.subgraphsLength(), (i) => file.root.subgraphs(i)).some((subgraph) =>
    vectorOf(subgraph.operatorsLength(), (i) => subgraph.operators(i)).some((operator) => {
      const code = file.operatorCodes[operator.opcodeIndex()];
      return code !== undefined && builtinCode(code) === BuiltinOperator.WHILE;
    }),
  );

export { graphLoops };
