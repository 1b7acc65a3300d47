package io.github.mongolock.aspect.internal;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.expression.BeanResolver;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.ParserContext;
import org.springframework.expression.common.CompositeStringExpression;
import org.springframework.expression.common.LiteralExpression;
import org.springframework.expression.spel.SpelNode;
import org.springframework.expression.spel.ast.FunctionReference;
import org.springframework.expression.spel.ast.VariableReference;
import org.springframework.expression.spel.standard.SpelExpression;
import org.springframework.expression.spel.standard.SpelExpressionParser;

/**
 * Internal, not an API: a lock ID template, parsed once per method: literal text and {@code #{...}}
 * SpEL parts ({@code ${...}} placeholders are resolved before parsing). Parsing checks that every
 * {@code #variable} names a parameter of the method, so that a misspelt name fails at startup
 * instead of locking on {@code "order-null"} at run time.
 */
final class LockIdTemplate {

  private static final SpelExpressionParser PARSER = new SpelExpressionParser();
  private static final Pattern INDEXED_PARAMETER = Pattern.compile("[ap](\\d+)");

  private final String source;
  private final String constant;
  private final List<Expression> parts;

  private LockIdTemplate(String source, String constant, List<Expression> parts) {
    this.source = source;
    this.constant = constant;
    this.parts = parts;
  }

  /**
   * Parses {@code template} (placeholders already resolved) for {@code method}, whose parameter
   * names are {@code parameterNames} (null when the class was compiled without {@code
   * -parameters}).
   *
   * @throws IllegalArgumentException with the reason, when the template cannot work
   */
  static LockIdTemplate parse(String template, Method method, String[] parameterNames) {
    if (template.isBlank()) {
      throw new IllegalArgumentException("the lock ID is blank");
    }
    Expression parsed;
    try {
      parsed = PARSER.parseExpression(template, ParserContext.TEMPLATE_EXPRESSION);
    } catch (ParseException e) {
      throw new IllegalArgumentException("cannot parse the lock ID: " + e.getMessage(), e);
    }
    if (parsed instanceof LiteralExpression) {
      return new LockIdTemplate(template, template, List.of());
    }
    List<Expression> parts =
        parsed instanceof CompositeStringExpression composite
            ? List.of(composite.getExpressions())
            : List.of(parsed);
    for (Expression part : parts) {
      if (part instanceof SpelExpression spel) {
        checkVariables(spel.getAST(), method, parameterNames);
      }
    }
    return new LockIdTemplate(template, null, parts);
  }

  private static void checkVariables(SpelNode node, Method method, String[] parameterNames) {
    String name = null;
    if (node instanceof VariableReference || node instanceof FunctionReference) {
      String ast = node.toStringAST();
      int end = ast.indexOf('(');
      name = ast.substring(1, end < 0 ? ast.length() : end);
    }
    if (name != null && !isKnownVariable(name, method, parameterNames)) {
      throw new IllegalArgumentException(
          parameterNames == null
              ? "#"
                  + name
                  + " is not available: parameter names of this class were not compiled in"
                  + " (compile with -parameters) or use #p0, #p1, ..."
              : "#"
                  + name
                  + " is not a parameter of the method (parameters: "
                  + (parameterNames.length == 0 ? "none" : "#" + String.join(", #", parameterNames))
                  + ")");
    }
    for (int i = 0; i < node.getChildCount(); i++) {
      checkVariables(node.getChild(i), method, parameterNames);
    }
  }

  private static boolean isKnownVariable(String name, Method method, String[] parameterNames) {
    if (name.equals("root") || name.equals("this")) {
      return true;
    }
    var indexed = INDEXED_PARAMETER.matcher(name);
    if (indexed.matches()) {
      return Integer.parseInt(indexed.group(1)) < method.getParameterCount();
    }
    return parameterNames != null && Arrays.asList(parameterNames).contains(name);
  }

  /** The template as written, placeholders resolved. */
  String source() {
    return source;
  }

  boolean isConstant() {
    return constant != null;
  }

  /**
   * The lock ID for one call.
   *
   * @throws IllegalArgumentException when an expression yields null or blank
   */
  String evaluate(
      Method method, Object[] args, ParameterNameDiscoverer parameterNames, BeanResolver beans) {
    if (constant != null) {
      return constant;
    }
    MethodBasedEvaluationContext context =
        new MethodBasedEvaluationContext(null, method, args, parameterNames);
    if (beans != null) {
      context.setBeanResolver(beans);
    }
    StringBuilder id = new StringBuilder();
    for (Expression part : parts) {
      if (part instanceof LiteralExpression literal) {
        id.append(literal.getExpressionString());
        continue;
      }
      String value = part.getValue(context, String.class);
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(
            "lock ID \""
                + source
                + "\": #{"
                + part.getExpressionString()
                + "} is "
                + (value == null ? "null" : "blank")
                + " for this call of "
                + describe(method)
                + "; nothing was locked");
      }
      id.append(value);
    }
    return id.toString();
  }

  static String describe(Method method) {
    List<String> types = new ArrayList<>();
    for (Class<?> type : method.getParameterTypes()) {
      types.add(type.getSimpleName());
    }
    return method.getDeclaringClass().getName()
        + "."
        + method.getName()
        + "("
        + String.join(", ", types)
        + ")";
  }

  @Override
  public String toString() {
    return source;
  }
}
